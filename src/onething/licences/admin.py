"""The platform admin's tables: licence types (catalog result → national type code) and the
trust list of other issuers' keys. Licences, keys, consents and uses are read-only records."""

from __future__ import annotations

from django.contrib import admin

from onething.core.admin import NoWritesAdmin
from onething.licences.models import Consent, Licence, LicenceType, LicenceUse, SigningKey, TrustedIssuer


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "holder_kind", "validity_years", "active")
    list_filter = ("holder_kind", "active")
    search_fields = ("name", "code")


@admin.register(TrustedIssuer)
class TrustedIssuerAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "kid", "active", "added_at")
    list_filter = ("active",)
    readonly_fields = ("added_by", "added_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Licence)
class LicenceAdmin(NoWritesAdmin):
    list_display = ("name", "number", "holder_name", "issuer", "issued_on", "status")
    list_filter = ("status", "type")
    search_fields = ("identifier", "number", "holder_name")
    exclude = ("credential",)


@admin.register(SigningKey)
class SigningKeyAdmin(NoWritesAdmin):
    list_display = ("kid", "signer", "active", "created_at", "retired_at")


@admin.register(Consent)
class ConsentAdmin(NoWritesAdmin):
    list_display = ("type", "scope_name", "purpose", "valid_until", "status")


@admin.register(LicenceUse)
class LicenceUseAdmin(NoWritesAdmin):
    list_display = ("licence", "department", "purpose", "allowed", "at")
