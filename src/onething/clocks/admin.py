from django.contrib import admin

from onething.clocks.models import Clock, ClockPolicy, OfficeHours


@admin.register(ClockPolicy)
class ClockPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "region",
        "limit",
        "unit",
        "rule",
        "lead",
        "active",
        "version",
        "updated_at",
    )
    list_filter = ("unit", "rule", "active")
    search_fields = ("code", "name", "region__name")
    autocomplete_fields = ("region",)
    readonly_fields = ("version", "updated_at")


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ("region", "periods", "updated_at")
    autocomplete_fields = ("region",)
    readonly_fields = ("updated_at",)


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    """Read-only: clocks change only through the owning app's transitions."""

    list_display = ("owner_kind", "owner_id", "name", "unit", "limit", "due_at", "running", "warning")
    list_filter = ("unit", "running", "warning")
    search_fields = ("=owner_id", "=owner_kind")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
