"""Admin of 好差评: the settings per region are edited here; ratings, rectifications, appeals
and defects are read here and worked on the staff pages (their lifecycles run on the engine)."""

from django.contrib import admin

from onething.ratings.models import Appeal, Defect, Rating, RatingPolicy, Rectification


@admin.register(RatingPolicy)
class RatingPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "default_after_days",
        "default_score",
        "recurrence_days",
        "recurrence_threshold",
    ]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnly):
    list_display = ["pk", "service_name", "channel", "score", "source", "excluded", "created_at"]
    list_filter = ["channel", "score", "source", "excluded"]
    exclude = ["rater_phone"]


@admin.register(Rectification)
class RectificationAdmin(ReadOnly):
    list_display = ["pk", "status", "department", "hall", "stage", "due_date", "warning"]
    list_filter = ["status", "warning"]


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ["pk", "rating", "ground", "status", "filed_at", "decided_at"]


@admin.register(Defect)
class DefectAdmin(ReadOnly):
    list_display = ["pk", "item_name", "reason", "status", "count", "opened_at", "fixed_at"]
