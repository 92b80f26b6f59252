from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="CalendarYear",
            fields=[
                ("year", models.PositiveIntegerField(primary_key=True, serialize=False, verbose_name="年份")),
                ("source", models.CharField(blank=True, max_length=200, verbose_name="来源")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={"verbose_name": "日历年份", "verbose_name_plural": "日历年份", "ordering": ["-year"]},
        ),
        migrations.CreateModel(
            name="CalendarDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(unique=True, verbose_name="日期")),
                ("workday", models.BooleanField(help_text="勾选：调休上班日；不勾选：法定节假日（休息）", verbose_name="上班")),
                ("name", models.CharField(blank=True, max_length=50, verbose_name="名称")),
                ("year", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="days", to="calendar.calendaryear", verbose_name="年份")),
            ],
            options={"verbose_name": "节假日与调休", "verbose_name_plural": "节假日与调休", "ordering": ["date"]},
        ),
    ]
