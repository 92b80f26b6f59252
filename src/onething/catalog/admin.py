"""Django admin for catalog maintainers, scoped: a department admin sees and edits only the
items of their own department(s); platform admins see everything.

Saving keeps a draft; ticking "保存并发布" with a reason publishes it through the same
validation as import. Every published version is listed, read-only, with who, when and why.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join

from onething.accounts.models import StaffRole
from onething.catalog import publishing, records
from onething.catalog.models import (
    Bundle,
    BundleMember,
    DataElement,
    Item,
    ItemFormField,
    ItemMaterial,
    MaterialType,
    PublishState,
    Revision,
)
from onething.core.admin import ReadOnlyAdmin


def managed_departments(user) -> set[str] | None:
    """Department codes a user may edit; ``None`` means all (platform admin / superuser)."""
    if user.is_superuser or user.has_role(StaffRole.PLATFORM_ADMIN):
        return None
    return {r.department_id for r in user.roles() if r.role == StaffRole.DEPARTMENT_ADMIN and r.department_id}


class PublishForm(forms.ModelForm):
    publish = forms.BooleanField(label="保存并发布", required=False)
    reason = forms.CharField(
        label="变更原因", required=False, max_length=500, widget=forms.TextInput(attrs={"size": 60})
    )

    def clean(self):
        data = super().clean()
        if data.get("publish") and not (data.get("reason") or "").strip():
            self.add_error("reason", "发布时须填写变更原因")
        return data


class PublishingAdmin(admin.ModelAdmin):
    """Shared save/publish behaviour for items and bundles."""

    kind = ""
    form = PublishForm
    readonly_fields = ("state", "published_history")

    def save_model(self, request, obj, form, change):
        if change and obj.state != PublishState.DRAFT:
            obj.state = PublishState.CHANGED
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.cleaned_data.get("publish"):
            try:
                revision = publishing.publish(
                    self.kind, form.instance.pk, request.user, form.cleaned_data["reason"]
                )
            except publishing.PublishError as exc:
                for fault in exc.faults:
                    messages.error(request, f"未发布：{fault}")
                return
            if revision is None:
                messages.info(request, "内容与当前发布版本相同，无需发布新版本")
            else:
                messages.success(request, f"已发布第 {revision.version} 版")

    @admin.display(description="发布历史")
    def published_history(self, obj):
        if not obj or not obj.pk:
            return "—"
        rows = publishing.history(self.kind, obj.pk)
        if not rows:
            return "尚未发布"
        return format_html_join(
            "\n",
            "<div>v{} · {:%Y-%m-%d %H:%M} · {} · {}</div>",
            ((r.version, r.created_at, r.author or "导入", r.reason) for r in rows),
        )


class ItemMaterialInline(admin.TabularInline):
    model = ItemMaterial
    extra = 0
    autocomplete_fields = ("material",)


class ItemFormFieldInline(admin.TabularInline):
    model = ItemFormField
    extra = 0
    autocomplete_fields = ("element",)


@admin.register(Item)
class ItemAdmin(PublishingAdmin):
    kind = "item"
    list_display = ("name", "code", "basic_code", "department", "region", "promised_limit", "state")
    list_filter = ("category", "state", "region__level")
    search_fields = ("code", "basic_code", "name")
    autocomplete_fields = ("department", "region")
    inlines = [ItemMaterialInline, ItemFormFieldInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("department", "region")
        scope = managed_departments(request.user)
        return qs if scope is None else qs.filter(department_id__in=scope)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = managed_departments(request.user)
        if db_field.name == "department" and scope is not None:
            from onething.directory.models import Department

            kwargs["queryset"] = Department.objects.filter(code__in=scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _in_scope(self, request, obj) -> bool:
        scope = managed_departments(request.user)
        return obj is None or scope is None or obj.department_id in scope

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)


class BundleMemberInline(admin.TabularInline):
    model = BundleMember
    extra = 0
    autocomplete_fields = ("item",)


@admin.register(Bundle)
class BundleAdmin(PublishingAdmin):
    kind = "bundle"
    list_display = ("name", "code", "lead_department", "promised_limit", "state")
    list_filter = ("state",)
    search_fields = ("code", "name")
    autocomplete_fields = ("lead_department", "region")
    inlines = [BundleMemberInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("lead_department")
        scope = managed_departments(request.user)
        return qs if scope is None else qs.filter(lead_department_id__in=scope)

    # --- plan preview (planner: catalog/planner.py; answers from ?plan_answers=JSON) ---------
    readonly_fields = (*PublishingAdmin.readonly_fields, "plan_preview")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.plan_answers = request.GET.get("plan_answers")
        return obj

    @admin.display(description="规划与减环节预览（按当前编辑内容）")
    def plan_preview(self, obj):
        from django.utils.safestring import mark_safe

        from onething.catalog.plan_preview import plan_preview_html

        if not obj or not obj.pk:
            return "保存后可预览规划"
        return mark_safe(plan_preview_html(obj.pk, getattr(obj, "plan_answers", None)))  # noqa: S308 - escaped


class ReferenceAdmin(admin.ModelAdmin):
    """Reference records take effect on save; each change is recorded as a revision."""

    kind = ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        reason = form.data.get("_reason") or ("修改" if change else "新增")
        publishing.record_revision(self.kind, records.working_record(self.kind, obj.pk), request.user, reason)


@admin.register(MaterialType)
class MaterialTypeAdmin(ReferenceAdmin):
    kind = "material"
    list_display = ("name", "code", "kind", "exempt_via")
    list_filter = ("kind", "exempt_via")
    search_fields = ("code", "name")


@admin.register(DataElement)
class DataElementAdmin(ReferenceAdmin):
    kind = "data_element"
    list_display = ("label", "key", "type")
    list_filter = ("type",)
    search_fields = ("key", "label")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("kind", "code", "version", "current", "author", "reason", "created_at")
    list_filter = ("kind", "current")
    search_fields = ("code", "reason")


from onething.catalog import admin_audit  # noqa: E402,F401  (registers the conformance-audit page)
