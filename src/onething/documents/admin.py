"""Issued documents are read-only in the admin: a document never changes once issued."""

from django.contrib import admin

from onething.documents.models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "kind_label", "title", "issuer", "issued_on"]
    list_filter = ["kind", "issued_on"]
    search_fields = ["number", "owner"]
    date_hierarchy = "issued_on"
    fields = [
        "kind",
        "number",
        "title",
        "issuer",
        "issued_on",
        "content_sha256",
        "owner",
        "renderings",
        "created_at",
    ]  # not the token: it is the document's public key, shown on the paper, not in lists
    readonly_fields = fields

    @admin.display(description="类型")
    def kind_label(self, obj: Document) -> str:
        return obj.kind_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
