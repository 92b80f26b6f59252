"""Seed the official schedules 2004 → the last year chinese-calendar knows.

Uses the historical models, so later changes to the models do not break this migration.
"""

from django.db import migrations


def seed(apps, schema_editor):
    import chinese_calendar

    from onething.calendar.service import chinese_calendar_schedule, chinese_calendar_years

    CalendarYear = apps.get_model("calendar", "CalendarYear")
    CalendarDay = apps.get_model("calendar", "CalendarDay")
    source = f"chinese-calendar {chinese_calendar.__version__}"
    for year in chinese_calendar_years():
        holidays, workdays = chinese_calendar_schedule(year)
        record = CalendarYear.objects.create(year=year, source=source)
        CalendarDay.objects.bulk_create(
            [CalendarDay(year=record, date=d, workday=False, name=n) for d, n in holidays]
            + [CalendarDay(year=record, date=d, workday=True, name=n) for d, n in workdays]
        )


class Migration(migrations.Migration):
    dependencies = [("calendar", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
