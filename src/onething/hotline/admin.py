"""Admin of 12345: the knowledge base and the Open311 clients are edited here (time limits are
the clock policies ``hotline.*`` in 时限策略, per region and category); tickets, extensions,
cards and recurrences are read here and worked on the staff pages (their lifecycles run on
the engine)."""

from django.contrib import admin

from onething.core.admin import NoWritesAdmin
from onething.hotline.models import Article, Card, Extension, Open311Client, Recurrence, Ticket


@admin.register(Ticket)
class TicketAdmin(NoWritesAdmin):
    list_display = [
        "number",
        "category",
        "status",
        "region",
        "assigned",
        "finish_due",
        "warning",
        "received_at",
    ]
    list_filter = ["status", "category", "channel", "warning"]
    search_fields = ["number"]
    exclude = ["caller_phone", "lookup_hash"]


@admin.register(Extension)
class ExtensionAdmin(NoWritesAdmin):
    list_display = ["ticket", "department", "days", "status", "requested_at", "decided_at"]


@admin.register(Card)
class CardAdmin(NoWritesAdmin):
    list_display = ["ticket", "clock", "level", "department", "region", "at"]
    list_filter = ["level", "clock"]


@admin.register(Recurrence)
class RecurrenceAdmin(NoWritesAdmin):
    list_display = ["name", "subject", "count", "status", "opened_at", "due_date", "fixed_at"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "published", "uses", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "keywords"]


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "created_at"]
    readonly_fields = ["token"]

    def has_add_permission(self, request):
        return False  # keys are issued with ``onething open311-client`` (the raw key is shown once)
