"""Admin: read-mostly views of cases (state changes go through lifecycle, never the admin), and
the platform-side 容缺 rules."""

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, Subquery

from onething.cases.models import Application, GapRule, Notice, SubCase
from onething.catalog.admin import managed_departments
from onething.catalog.models import Item


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


class GapRuleForm(forms.ModelForm):
    class Meta:
        model = GapRule
        fields = ["item_code", "action", "note"]

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope

    def clean_item_code(self):
        code = (self.cleaned_data.get("item_code") or "").strip()
        item = Item.objects.filter(code=code).only("department_id").first()
        if item is None:
            raise forms.ValidationError("事项编码在事项目录中不存在")
        if self.scope is not None and item.department_id not in self.scope:
            raise forms.ValidationError("只能为本部门实施的事项设置容缺规则")
        return code


@admin.register(GapRule)
class GapRuleAdmin(admin.ModelAdmin):
    """容缺逾期处理规则, scoped like the catalog: a department admin sees and edits the rules of
    their own department's items; platform admins all. No rule means "warn"."""

    form = GapRuleForm
    list_display = ["item_code", "item_name", "action", "updated_at"]
    list_filter = ["action"]
    search_fields = ["item_code", "note"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        scope = managed_departments(request.user)

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, scope=scope, **kw)

        return ScopedForm

    def get_queryset(self, request):
        qs = (
            super()
            .get_queryset(request)
            .annotate(_item_name=Subquery(Item.objects.filter(code=OuterRef("item_code")).values("name")[:1]))
        )
        scope = managed_departments(request.user)
        if scope is None:
            return qs
        return qs.filter(item_code__in=Item.objects.filter(department_id__in=scope).values("code"))

    @admin.display(description="事项名称")
    def item_name(self, obj):
        return getattr(obj, "_item_name", None) or "（目录中不存在）"
