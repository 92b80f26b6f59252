"""Admin of halls and the queue: queue services, hall policies and closures are edited here;
window sessions, tickets, appointments and ratings are records of what happened — listed and
shown, never added, changed or deleted (their states change only through the engine). A
ticket's ID number is shown masked."""

from __future__ import annotations

from django.contrib import admin

from onething.core.admin import ReadOnlyAdmin
from onething.halls.models import (
    Appointment,
    Closure,
    HallPolicy,
    Service,
    Ticket,
    WindowSession,
)
from onething.kernel.codes import mask_id_number


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefix", "bookable", "position")
    list_editable = ("position",)
    search_fields = ("code", "name")


@admin.register(HallPolicy)
class HallPolicyAdmin(admin.ModelAdmin):
    list_display = ("hall", "priority_age", "fairness", "no_show_calls", "slot_minutes", "per_window")
    search_fields = ("hall__name", "hall__code")


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ("hall", "first_day", "last_day", "reason")
    list_filter = ("hall",)


@admin.register(WindowSession)
class WindowSessionAdmin(ReadOnlyAdmin):
    list_display = ("window", "clerk", "status", "started_at", "ended_at")
    list_filter = ("status", "window__hall")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("number", "hall", "service", "day", "status", "channel", "priority", "window")
    list_filter = ("status", "channel", "hall", "service", "day")
    search_fields = ("number",)
    exclude = ("id_number", "token")

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude)
        return [f.name for f in self.model._meta.fields if f.name not in hidden] + ["masked_id_number"]

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number) if obj.id_number else "—"


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ("code", "hall", "service", "start", "status", "person")
    list_filter = ("status", "hall", "service")
    search_fields = ("code",)
