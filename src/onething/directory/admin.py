from django.contrib import admin

from onething.directory.models import Department, Hall, Region, Window


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "region")
    search_fields = ("code", "name", "short_name")
    list_filter = ("region__level",)
    autocomplete_fields = ("region",)


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "address")
    list_filter = ("kind",)
    search_fields = ("name", "address")
    inlines = [WindowInline]
