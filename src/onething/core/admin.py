"""Admin building blocks shared by the apps."""

from django.contrib import admin


class NoWritesAdmin(admin.ModelAdmin):
    """Rows whose lifecycle runs elsewhere (the engine, a command): viewed in the admin, never
    added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWritesAdmin):
    """Records that are evidence (audit log, published versions): every field shown, none
    writable."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
