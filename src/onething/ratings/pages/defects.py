"""事项缺陷 for staff (``/ratings/defects/``): the list within the user's scope (the
department's admins; the supervisors of the region or above) and a defect's page — the item,
the reason, the 差评 behind it (without who gave them), the department's fix form, and after
the fix its effect on the item's 差评率. Outside scope: 404."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from onething.accounts.masking import mask_text
from onething.accounts.models import StaffRole
from onething.core.errors import Refused
from onething.core.pages import row_id
from onething.ratings import access, defects, rules
from onething.ratings.machines import UNIT
from onething.ratings.models import Defect

WARNINGS = {"red": ("badge-danger", "红灯：已超期"), "yellow": ("badge-warn", "黄灯：临近期限")}


def _may_see_defects(user) -> bool:
    if access.regions_reviewed(user):
        return True
    return StaffRole.objects.filter(
        user=user, role=StaffRole.DEPARTMENT_ADMIN, department__isnull=False
    ).exists()


def _warning(level: str):
    badge, words = WARNINGS.get(level or "", ("", ""))
    return {"badge": badge, "words": words} if words else None


@login_required
@require_GET
def defect_list(request):
    """事项缺陷整改: open ones first (by due date), then the fixed."""
    if not _may_see_defects(request.user):
        raise Http404
    status = request.GET.get("status", "")
    rows = access.visible_defects(request.user).select_related("department")
    if status in Defect.Status.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    rows = rows.order_by("-status", "due_date", "-opened_at")[:200]  # "open" sorts after "fixed"
    context = {
        "rows": [{"d": d, "warning": _warning(d.warning)} for d in rows],
        "statuses": Defect.Status.choices,
        "status": status,
    }
    return render(request, "ratings/defects.html", context)


def _visible(request, defect_id) -> Defect:
    found = (
        access.visible_defects(request.user)
        .select_related("department", "region", "fixed_by")
        .filter(pk=row_id(defect_id))
        .first()
    )
    if found is None:
        raise Http404("未找到该事项缺陷")
    return found


def _behind(defect: Defect) -> list[dict]:
    """The 差评 that opened it (the rolling window up to its opening), without the rater."""
    since = defect.opened_at - dt.timedelta(days=defect.window_days)
    rows = defects.behind(defect.item_code, defect.reason, since, defect.opened_at).order_by("-created_at")[
        :100
    ]
    return [
        {
            "level": r.level,
            "at": r.created_at,
            "channel": rules.CHANNELS.get(r.channel, r.channel),
            "service": r.service_name,
            "reason_text": mask_text(r.reason_text),
            "comment": mask_text(r.comment),
        }
        for r in rows
    ]


@login_required
@require_http_methods(["GET", "POST"])
def defect_detail(request, defect_id):
    defect = _visible(request, defect_id)
    roles = access.roles_for(request.user, defect)
    may_fix = UNIT in roles and defect.status == Defect.Status.OPEN
    form = {"fix_kind": request.POST.get("fix_kind", ""), "fix_note": request.POST.get("fix_note", "")}
    error = None
    if request.method == "POST":
        if not may_fix:
            raise Http404
        try:
            defects.fix(defect, request.user, roles=roles, fix_kind=form["fix_kind"], note=form["fix_note"])
        except Refused as exc:
            error = SimpleNamespace(message=exc.message, field=getattr(exc, "field", None) or "")
        else:
            messages.success(request, "已记录整改，将跟踪整改后的差评率")
            return redirect("ratings:defect", defect_id=defect.pk)
    context = {
        "d": defect,
        "reason": rules.REASONS.get(defect.reason, defect.reason),
        "warning": _warning(defect.warning),
        "behind": _behind(defect),
        "may_fix": may_fix,
        "fix_kinds": list(rules.FIX_KINDS.items()),
        "note_max": rules.NOTE_MAX,
        "form": form,
        "error": error,
        "effect": defects.effect(defect),
    }
    return render(request, "ratings/defect.html", context, status=400 if error else 200)


urlpatterns = [
    path("defects/", defect_list, name="defects"),
    path("defects/<str:defect_id>/", defect_detail, name="defect"),
]
