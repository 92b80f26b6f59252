from django.contrib import admin

from onething.calendar.models import CalendarDay, CalendarYear


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 3


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "updated_at", "holiday_count", "makeup_count")
    inlines = [CalendarDayInline]

    @admin.display(description="节假日（工作日休息）")
    def holiday_count(self, obj):
        return obj.days.filter(workday=False).count()

    @admin.display(description="调休上班")
    def makeup_count(self, obj):
        return obj.days.filter(workday=True).count()
