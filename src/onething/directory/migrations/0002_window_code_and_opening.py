from django.db import migrations, models


def fill_codes(apps, schema_editor):
    Window = apps.get_model("directory", "Window")
    for window in Window.objects.all():
        window.code = f"{window.hall_id}-{window.number}"[:40]
        window.save(update_fields=["code"])


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="hall",
            name="opening",
            field=models.JSONField(blank=True, default=dict, verbose_name="开放时段"),
        ),
        migrations.AddField(
            model_name="window",
            name="code",
            field=models.SlugField(max_length=40, null=True, db_index=False, verbose_name="窗口编码"),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="window",
            name="code",
            field=models.SlugField(max_length=40, unique=True, verbose_name="窗口编码"),
        ),
        migrations.AddField(
            model_name="window",
            name="zone",
            field=models.CharField(blank=True, max_length=50, verbose_name="区域"),
        ),
        migrations.AddField(
            model_name="window",
            name="items",
            field=models.JSONField(blank=True, default=list, verbose_name="受理事项（专业窗口）"),
        ),
        migrations.AddField(
            model_name="window",
            name="active",
            field=models.BooleanField(default=True, verbose_name="启用"),
        ),
    ]
