"""Admin of 好差评: the settings per region are edited here; ratings, rectifications, appeals
and defects are read here and worked on the staff pages (their lifecycles run on the engine)."""

from django.contrib import admin

from onething.core.admin import NoWritesAdmin
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


@admin.register(Rating)
class RatingAdmin(NoWritesAdmin):
    list_display = ["pk", "service_name", "channel", "score", "source", "excluded", "created_at"]
    list_filter = ["channel", "score", "source", "excluded"]
    exclude = ["rater_phone"]


@admin.register(Rectification)
class RectificationAdmin(NoWritesAdmin):
    list_display = ["pk", "status", "department", "hall", "stage", "due_date", "warning"]
    list_filter = ["status", "warning"]


@admin.register(Appeal)
class AppealAdmin(NoWritesAdmin):
    list_display = ["pk", "rating", "ground", "status", "filed_at", "decided_at"]


@admin.register(Defect)
class DefectAdmin(NoWritesAdmin):
    list_display = ["pk", "item_name", "reason", "status", "count", "opened_at", "fixed_at"]
