"""Inspections get a state field of their own, governed by the cases.inspection machine."""

from django.db import migrations, models


def from_result(apps, schema_editor):
    Inspection = apps.get_model("cases", "Inspection")
    Inspection.objects.exclude(result="").update(status=models.F("result"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_notice_stored_pdf")]

    operations = [
        migrations.AddField(
            model_name="inspection",
            name="status",
            field=models.CharField(
                choices=[("scheduled", "已安排"), ("passed", "符合"), ("failed", "不符合")],
                default="scheduled",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="postcheck",
            name="status",
            field=models.CharField(
                choices=[("open", "待核查"), ("passed", "核查属实"), ("failed", "承诺不实")],
                default="open",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.RunPython(from_result, migrations.RunPython.noop),
    ]
