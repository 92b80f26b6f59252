"""Admin of 跨省通办 nodes: read only. The node's identity and keys are made with
``onething node init`` / ``node rotate``, peers are trusted with ``onething node trust``."""

from django.contrib import admin

from onething.core.admin import NoWritesAdmin
from onething.federation.models import Node, NodeKey, Peer, PeerKey


class PeerKeyInline(admin.TabularInline):
    model = PeerKey
    fields = ["kid", "current", "valid_until", "public_jwk"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Node)
class NodeAdmin(NoWritesAdmin):
    list_display = ["code", "name", "url", "hub", "created_at"]


@admin.register(NodeKey)
class NodeKeyAdmin(NoWritesAdmin):
    list_display = ["kid", "current", "created_at", "valid_until"]
    list_filter = ["current"]


@admin.register(Peer)
class PeerAdmin(NoWritesAdmin):
    list_display = ["code", "name", "url", "hub", "via", "trusted_at", "updated_at"]
    list_filter = ["hub"]
    search_fields = ["code", "name"]
    inlines = [PeerKeyInline]


@admin.register(PeerKey)
class PeerKeyAdmin(NoWritesAdmin):
    list_display = ["peer", "kid", "current", "valid_until"]
    list_filter = ["current"]
    search_fields = ["kid", "peer__code"]
