from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from onething.accounts.models import ApiToken, Enterprise, EnterpriseAuthorisation, StaffRole, User
from onething.kernel.codes import mask_id_number


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 0
    autocomplete_fields = ("region", "department", "hall")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "real_name", "masked_id_number", "is_staff", "is_active")
    search_fields = ("username", "real_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("实名信息", {"fields": ("real_name", "id_number", "phone")}),
    )
    inlines = [StaffRoleInline]

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)


class AuthorisationInline(admin.TabularInline):
    model = EnterpriseAuthorisation
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "region")
    search_fields = ("name", "uscc")
    inlines = [AuthorisationInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("hint", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("hint", "created_at", "last_used_at")
    raw_id_fields = ("user",)
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False  # tokens are issued with `onething token create`, which shows the raw value once

    @admin.action(description="吊销所选令牌")
    def revoke_tokens(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
