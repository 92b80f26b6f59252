"""Admin: read-mostly views of cases. State changes go through lifecycle, never the admin."""

from django.contrib import admin

from onething.cases.models import Application, Notice, SubCase


class SubCaseInline(admin.TabularInline):
    model = SubCase
    extra = 0
    can_delete = False
    fields = ["number", "item_name", "department", "status", "due_date", "warning", "handler"]
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "channel", "status", "due_date", "warning"]
    list_filter = ["status", "channel", "warning"]
    search_fields = ["number", "name"]
    inlines = [SubCaseInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "department_name", "issued_on"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
