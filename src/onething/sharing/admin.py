"""Django admin of data sharing, scoped like the catalog's: a department admin sees and edits
only the resources and lists of their own department(s); platform admins, superusers and the
data authority (数据主管部门) see everything.

- 数据资源: every save writes a :class:`ResourceVersion` (who, when and the required 变更原因),
  validated by the same rules as import; the versions are listed read-only.
- 需求 / 责任 / 负面清单: editable in scope; a 负面清单 entry must cite a law (the model's
  ``clean``, shown on the field).
- 共享申请, 数据异议: read-only (their states change only through their machines).
- 共享调用记录: read-only, never added, changed or deleted (append-only, hash-chained).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.html import format_html_join

from onething.accounts.models import StaffRole
from onething.core.admin import ReadOnlyAdmin
from onething.directory.models import Department
from onething.sharing import exchange
from onething.sharing.models import (
    Call,
    Demand,
    Dispute,
    Duty,
    NegativeEntry,
    Request,
    Resource,
    ResourceVersion,
    SharingClass,
    SourceRecord,
)


def managed_departments(user) -> set[str] | None:
    """Department codes a user may see and edit here; ``None`` means all (superuser, platform
    admin, data authority)."""
    if (
        user.is_superuser
        or user.has_role(StaffRole.PLATFORM_ADMIN)
        or user.has_role(StaffRole.DATA_AUTHORITY)
    ):
        return None
    return {r.department_id for r in user.roles() if r.role == StaffRole.DEPARTMENT_ADMIN and r.department_id}


class ScopedAdmin(admin.ModelAdmin):
    """Rows of the user's departments only (``scope_field`` names the department)."""

    scope_field = "department"
    #: foreign keys to resources limited to the user's departments' resources
    scoped_resource_fields: tuple[str, ...] = ()

    def scope_q(self, scope: set[str]) -> Q:
        return Q(**{f"{self.scope_field}__in": scope})

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = managed_departments(request.user)
        return qs if scope is None else qs.filter(self.scope_q(scope))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = managed_departments(request.user)
        if scope is not None:
            if db_field.name == self.scope_field:
                kwargs["queryset"] = Department.objects.filter(code__in=scope)
            elif db_field.name in self.scoped_resource_fields:
                kwargs["queryset"] = Resource.objects.filter(provider_id__in=scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _in_scope(self, request, obj) -> bool:
        scope = managed_departments(request.user)
        if obj is None or scope is None:
            return True
        return type(obj)._default_manager.filter(pk=obj.pk).filter(self.scope_q(scope)).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)


class ScopedReadOnlyAdmin(ScopedAdmin, ReadOnlyAdmin):
    pass


# ------------------------------------------------------------------------------ 数据资源


class ResourceForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="变更原因",
        required=True,
        max_length=exchange.MAX_REASON,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="记入数据资源的版本历史",
        error_messages={"required": "保存数据资源须填写变更原因"},
    )

    class Meta:
        model = Resource
        fields = (
            "code",
            "name",
            "provider",
            "sharing_class",
            "subject_kind",
            "fields",
            "legal_basis",
            "update_frequency",
            "source_system",
            "backend",
            "backend_config",
            "replaces",
            "publish_first",
            "refreshed_at",
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        record = {
            key: data.get(key)
            for key, _, _, _ in exchange.RESOURCE_KEYS
            if key not in ("code", "provider") and key in data
        }
        record["code"] = data.get("code")
        provider = data.get("provider")
        record["provider"] = provider.pk if provider is not None else None
        record = exchange._normalise("resources", record)
        if record["sharing_class"] == SharingClass.NONE:
            # checked after saving (a new resource cannot be on the negative list yet)
            record["sharing_class"] = SharingClass.CONDITIONAL
        document = {"format": exchange.FORMAT, "resources": [record]}
        for fault in exchange.validate_document(document):
            key = next(
                (
                    k
                    for k, label in exchange.FIELD_NAMES["resources"].items()
                    if fault.field.startswith(label)
                ),
                None,
            )
            target = key if key in self.fields and key not in ("code",) else None
            if key == "code" and "重复" in fault.message:
                continue  # the model's unique check speaks for itself
            self.add_error(target, fault.message)
        return data


@admin.register(Resource)
class ResourceAdmin(ScopedAdmin):
    form = ResourceForm
    scope_field = "provider"
    list_display = (
        "name",
        "code",
        "provider",
        "sharing_class",
        "subject_kind",
        "backend",
        "version",
        "updated_at",
    )
    list_filter = ("sharing_class", "subject_kind", "backend", "update_frequency")
    search_fields = ("code", "name", "source_system")
    readonly_fields = ("version", "refreshed_at", "updated_at", "version_history")

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            stored = Resource.objects.select_for_update().filter(pk=obj.pk).first()
            before = exchange.resource_record(stored) if stored else None
        super().save_model(request, obj, form, change)
        if before is not None and before == exchange.resource_record(obj):
            messages.info(request, "内容没有变化，未生成新版本")
        else:
            version = exchange.record_version(
                obj, request.user, form.cleaned_data["change_reason"], created=not change
            )
            messages.success(request, f"已保存为第 {version.version} 版")
        if obj.sharing_class == SharingClass.NONE and not NegativeEntry.objects.filter(resource=obj).exists():
            messages.warning(request, "该资源为“不予共享”，请在负面清单中登记对应条目及其法律法规依据")

    @admin.display(description="版本历史")
    def version_history(self, obj):
        if not obj or not obj.pk:
            return "—"
        rows = obj.versions.select_related("changed_by").order_by("-version")
        if not rows:
            return "尚无版本记录"
        return format_html_join(
            "\n",
            "<div>v{} · {:%Y-%m-%d %H:%M} · {} · {}</div>",
            ((v.version, v.changed_at, v.changed_by or "导入", v.reason) for v in rows),
        )


@admin.register(ResourceVersion)
class ResourceVersionAdmin(ScopedReadOnlyAdmin):
    scope_field = "resource__provider"
    list_display = ("resource", "version", "changed_by", "changed_at", "reason")
    list_filter = ("changed_at",)
    search_fields = ("resource__code", "resource__name", "reason")
    list_select_related = ("resource", "changed_by")


# ------------------------------------------------------------------------------ the three lists


@admin.register(Demand)
class DemandAdmin(ScopedAdmin):
    list_display = ("name", "department", "resource", "created_at")
    search_fields = ("name", "description")
    list_select_related = ("department", "resource")


@admin.register(Duty)
class DutyAdmin(ScopedAdmin):
    scoped_resource_fields = ("resource",)
    list_display = ("name", "department", "resource")
    search_fields = ("name", "description")
    list_select_related = ("department", "resource")


@admin.register(NegativeEntry)
class NegativeEntryAdmin(ScopedAdmin):
    """The model's ``clean`` refuses a legal basis that cites no law (shown on the field)."""

    scoped_resource_fields = ("resource",)
    list_display = ("name", "department", "resource", "legal_basis")
    search_fields = ("name", "legal_basis")
    list_select_related = ("department", "resource")


# ------------------------------------------------------------------------------ requests, calls …


@admin.register(Request)
class RequestAdmin(ScopedReadOnlyAdmin):
    """Read-only: a request's state changes only through the machine (审核、答复、撤销 …)."""

    list_display = ("id", "resource", "department", "purpose", "status", "due_date", "valid_until")
    list_filter = ("status", "warning")
    search_fields = ("purpose", "resource__code", "resource__name")
    list_select_related = ("resource", "department")

    def scope_q(self, scope):
        return Q(department_id__in=scope) | Q(resource__provider_id__in=scope)


@admin.register(Call)
class CallAdmin(ScopedReadOnlyAdmin):
    """The gateway's call log: append-only and hash-chained — never added, changed or deleted."""

    list_display = ("sequence", "at", "resource_code", "department_code", "caller_label", "outcome", "rows")
    list_filter = ("outcome",)
    search_fields = ("resource_code", "department_code", "purpose")

    def scope_q(self, scope):
        provided = Resource.objects.filter(provider_id__in=scope).values("code")
        return Q(department_code__in=scope) | Q(resource_code__in=provided)


@admin.register(SourceRecord)
class SourceRecordAdmin(ScopedAdmin):
    scope_field = "resource__provider"
    scoped_resource_fields = ("resource",)
    list_display = ("resource", "subject_masked", "updated_at")
    search_fields = ("resource__code",)
    list_select_related = ("resource",)

    @admin.display(description="查询对象")
    def subject_masked(self, obj):
        from onething.sharing.rules import mask_subject

        return mask_subject(obj.resource.subject_kind, obj.subject)


@admin.register(Dispute)
class DisputeAdmin(ScopedReadOnlyAdmin):
    """Read-only: answered through the dispute machine (更正 / 经核实无误)."""

    list_display = ("id", "resource", "subject_masked", "field", "status", "due_date", "raised_at")
    list_filter = ("status",)
    search_fields = ("resource__code", "field")
    list_select_related = ("resource",)
    exclude = ("subject", "subject_key")

    def scope_q(self, scope):
        return Q(resource__provider_id__in=scope) | Q(department_id__in=scope)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in ("subject", "subject_key")]
