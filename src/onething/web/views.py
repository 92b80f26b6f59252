"""Portal views: thin — they call app functions and render templates.

Citizen pages read only the *published* catalog (``onething.catalog.views`` and
``onething.catalog.publishing``); anything unknown or unpublished is a friendly 404.
"""

from __future__ import annotations

from collections import Counter

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from onething.accounts import registration
from onething.accounts.forms import PasswordChangeForm, PasswordResetForm, RegistrationForm
from onething.accounts.throttle import Throttled
from onething.cases.access import approver_departments, clerk_halls, supervised_regions
from onething.catalog import planner
from onething.catalog.plans import OVERVIEW_BASIS_TEXT, load_bundle
from onething.catalog.publishing import current_many
from onething.catalog.views import (
    EXEMPT_NAMES,
    ONLINE_NAMES,
    RESULT_TYPE_NAMES,
    fee_text,
    published_bundle,
    published_item,
)
from onething.catalog.wording import describe_after, describe_condition, question_index
from onething.core.errors import Refused
from onething.directory.models import Department, Region
from onething.web import presenters
from onething.web.forms import LoginForm

FEATURED_DEPARTMENTS = 8


def not_found(request, message: str = "您访问的页面不存在，或该事项尚未发布、已调整。"):
    return render(request, "404.html", {"message": message}, status=404)


def _department_names(codes) -> dict[str, str]:
    return dict(Department.objects.filter(pk__in=list(codes)).values_list("pk", "name"))


def _bundle_cards(bundles: list[dict]) -> list[dict]:
    names = _department_names({b["lead_department"] for b in bundles})
    return [
        {
            "code": b["code"],
            "name": b["name"],
            "description": b.get("description", ""),
            "audience": b.get("audience", "both"),
            "audience_name": presenters.AUDIENCE_NAMES.get(b.get("audience", "both"), ""),
            "members": len(b.get("members", [])),
            "lead_department": names.get(b["lead_department"], ""),
            "promised_limit": b.get("promised_limit"),
        }
        for b in sorted(bundles, key=lambda b: b["code"])
    ]


@require_safe
def home(request):
    items = current_many("item")
    bundles = _bundle_cards(list(current_many("bundle").values()))
    counts = Counter(i["department"] for i in items.values())
    top = [code for code, _ in counts.most_common(FEATURED_DEPARTMENTS)]
    names = _department_names(top)
    departments = [{"code": c, "name": names.get(c, c), "items": counts[c]} for c in top if c in names]
    context = {
        "person_themes": [(t, presenters.THEME_MARKS[t]) for t in presenters.PERSON_THEMES],
        "enterprise_themes": [(t, presenters.THEME_MARKS[t]) for t in presenters.ENTERPRISE_THEMES],
        "bundles": bundles,
        "departments": departments,
        "hot": ["生孩子", "开饭店", "退休", "公司注销", "社保卡", "公积金提取"],
        "item_count": len(items),
    }
    return render(request, "web/home.html", context)


@require_safe
def bundle_list(request):
    bundles = _bundle_cards(list(current_many("bundle").values()))
    groups = [
        ("个人一件事", [b for b in bundles if b["audience"] != "enterprise"]),
        ("企业（法人）一件事", [b for b in bundles if b["audience"] == "enterprise"]),
    ]
    return render(request, "web/bundle_list.html", {"groups": [g for g in groups if g[1]]})


@require_safe
def item_detail(request, code: str):
    item = published_item(code)
    if item is None:
        return not_found(request, f"未找到已发布的事项“{code}”。它可能尚未发布，或编码有误。")
    bundles = [b for b in current_many("bundle").values() if any(m["item"] == code for m in b["members"])]
    questions: dict = {}
    for bundle in bundles:
        questions.update(question_index(bundle.get("questions")))
    materials = [{**m, "remarks": presenters.material_remarks(m, questions)} for m in item["materials"]]
    context = {
        "item": item,
        "materials": materials,
        "bundles": sorted(bundles, key=lambda b: b["code"]),
        "audience_name": presenters.AUDIENCE_NAMES.get(item.get("audience"), ""),
        "level_name": presenters.LEVEL_NAMES.get(item.get("level") or "", ""),
        "promised_text": presenters.limit_text(item["promised_limit"]),
        "legal_text": presenters.legal_limit_text(item["legal_limit"]),
        "fee_text": fee_text(item.get("fee")),
        "result_type": RESULT_TYPE_NAMES.get((item.get("result") or {}).get("type", ""), ""),
        "exempt_count": sum(1 for m in item["materials"] if m["exempt"]),
    }
    return render(request, "web/item.html", context)


@require_safe
def bundle_detail(request, code: str):
    bundle = published_bundle(code)
    if bundle is None:
        return not_found(request, f"未找到已发布的“一件事”“{code}”。它可能尚未发布，或编码有误。")
    raw, raw_items, materials, elements = load_bundle(code)
    try:
        plan = planner.maximal_plan(raw, raw_items, materials, elements)
    except planner.PlanError:
        return not_found(request, f"“{bundle['name']}”的成员事项已调整，暂不能展示，请稍后再试。")
    questions = planner.questions_of(raw)
    names = {m["item"]: m["name"] for m in bundle["members"]}
    conditional = {m["item"] for m in bundle["members"] if m.get("when")}
    members = [
        {
            **m,
            "when_text": describe_condition(m.get("when"), questions),
            "after_text": describe_after(m.get("after"), names, conditional),
            "limit_text": presenters.limit_text(m.get("promised_limit")),
            "online_name": ONLINE_NAMES.get(raw_items.get(m["item"], {}).get("online", ""), ""),
            "visits": raw_items.get(m["item"], {}).get("visits"),
        }
        for m in bundle["members"]
    ]
    by_code = {m["item"]: m for m in members}
    stage_count = max((mp.stage for mp in plan.members), default=0)
    stages = [[by_code[mp.item] for mp in plan.members if mp.stage == n] for n in range(1, stage_count + 1)]

    def conditional_for(item_code: str, material: str) -> bool:
        asked = [im for im in raw_items[item_code]["materials"] if im["material"] == material]
        return item_code in conditional or any(im.get("when") for im in asked)

    material_rows = sorted(
        (
            {
                "name": line.name,
                "originals": line.originals,
                "copies": line.copies,
                "required": line.required,
                "exempt": line.exempt,
                "exempt_via": EXEMPT_NAMES.get(line.exempt_via or "", ""),
                "conditional": all(conditional_for(c, line.material) for c in line.items),
                "items": [names.get(c, c) for c in line.items],
            }
            for line in plan.materials
        ),
        key=lambda row: (row["exempt"], row["conditional"]),
    )
    figures = plan.reduction
    context = {
        "bundle": bundle,
        "members": members,
        "stages": stages,
        "materials": material_rows,
        "limit": plan.limit_days,
        "limit_text": presenters.limit_text(plan.limit_days),
        "limit_promised": plan.limit_source == "bundle",
        "basis_text": OVERVIEW_BASIS_TEXT,
        "reduction": {
            "applications": (figures.applications.separate, figures.applications.bundled),
            "materials": (figures.materials.separate, figures.materials.bundled),
            "visits": (figures.visits.separate, figures.visits.bundled),
            "days": (figures.days.separate, figures.days.bundled),
            "departments": len({raw_items[c]["department"] for c in plan.member_codes}),
        },
        "audience_name": presenters.AUDIENCE_NAMES.get(bundle.get("audience"), ""),
        "questions": [
            {
                **q,
                "options": ["是", "否"] if q.get("type") == "boolean" else list(q.get("choices") or []),
            }
            for q in bundle["questions"]
        ],
    }
    return render(request, "web/bundle.html", context)


@require_safe
def department_list(request):
    counts = Counter(i["department"] for i in current_many("item").values())
    regions: dict[str, dict] = {}
    for department in Department.objects.select_related("region").order_by("region__code", "name"):
        group = regions.setdefault(department.region_id, {"region": department.region, "departments": []})
        group["departments"].append({"department": department, "items": counts.get(department.code, 0)})
    return render(request, "web/department_list.html", {"regions": list(regions.values())})


def _item_rows(items) -> list[dict]:
    return [
        {
            "code": i["code"],
            "name": i["name"],
            "promised_text": "即办件" if i["promised_limit"] == 0 else f"承诺 {i['promised_limit']} 个工作日",
            "online": i.get("online"),
            "visits": i.get("visits", 1),
            "cross_province": bool(i.get("cross_province")),
            "department": i["department"],
        }
        for i in sorted(items, key=lambda i: (i["name"], i["code"]))
    ]


@require_safe
def department_detail(request, code: str):
    department = Department.objects.select_related("region").filter(pk=code).first()
    if department is None:
        return not_found(request, f"未找到部门“{code}”。")
    items = [i for i in current_many("item").values() if i["department"] == code]
    bundles = [b for b in current_many("bundle").values() if b["lead_department"] == code]
    context = {
        "department": department,
        "items": _item_rows(items),
        "bundles": _bundle_cards(bundles),
    }
    return render(request, "web/department.html", context)


@require_safe
def region_detail(request, code: str):
    region = Region.objects.select_related("parent").filter(pk=code).first()
    if region is None:
        return not_found(request, f"未找到行政区划“{code}”。")
    ancestors = list(Region.objects.filter(pk__in=region.ancestor_codes()).order_by("code"))
    items = [i for i in current_many("item").values() if i["region"] == code]
    bundles = [b for b in current_many("bundle").values() if b.get("region") == code]
    department_names = _department_names({i["department"] for i in items})
    rows = _item_rows(items)
    for row in rows:
        row["department_name"] = department_names.get(row["department"], "")
    context = {
        "region": region,
        "ancestors": ancestors,
        "children": list(region.children.order_by("code")),
        "departments": list(region.departments.order_by("name")),
        "items": rows,
        "bundles": _bundle_cards(bundles),
        "level_name": region.get_level_display(),
    }
    return render(request, "web/region.html", context)


# ------------------------------------------------------------------------------- accounts
#
# Login lands each role on its workplace (unless ``next`` says where to go); logout returns to
# the home page; citizens register with a real name and a phone verified by an SMS code and
# reset a forgotten password the same way (``accounts.registration``).

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def landing_url(user) -> str:
    """Where ``user`` starts: a window clerk at the window desk, an approver at the queue, a
    supervisor at the board, a catalog or platform administrator in the admin, anyone else
    (a citizen) at 我的办件."""
    if clerk_halls(user):
        return reverse("cases:window")
    if approver_departments(user):
        return reverse("cases:approver")
    if supervised_regions(user):
        return reverse("cases:supervisor")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("cases:mine")


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if allowed else ""


def _client_ip(request) -> str:
    return get_client_ip_address(request) or "unknown"


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm

    def get_default_redirect_url(self):
        return landing_url(self.request.user)


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("web:home")

    def post(self, request, *args, **kwargs):
        signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if signed_in:
            messages.success(request, "您已安全退出。")
        return response


def _refuse(form, exc) -> dict:
    """Show a refusal at its field; a throttle answers 429 with ``Retry-After``."""
    form.refuse(exc)
    return {"throttled": exc} if isinstance(exc, Throttled) else {}


def _code_action(request, form, purpose: str) -> dict:
    """The 获取验证码 button: validate the phone alone and send a code to it."""
    if not form.only_phone():
        return {}
    try:
        sent = registration.send_code(
            form.cleaned_data["phone"], purpose, ip=_client_ip(request), now=timezone.now()
        )
    except Refused as exc:
        return _refuse(form, exc)
    return {"sent": sent}


def _answer(request, template: str, context: dict):
    throttled = context.get("throttled")
    response = render(request, template, context, status=429 if throttled else 200)
    if throttled:
        response["Retry-After"] = str(throttled.retry_after)
    return response


def _code_flow(request, form, purpose, act):
    """The two-step phone forms: 获取验证码 sends a code; the whole form then ``act``s on the
    cleaned data. Returns the page's extra context and the user acted on (or ``None``)."""
    if request.method != "POST":
        return {}, None
    if request.POST.get("action") == "send_code":
        return _code_action(request, form, purpose), None
    if not form.is_valid():
        return {}, None
    try:
        return {}, act(form.cleaned_data, ip=_client_ip(request), now=timezone.now())
    except Refused as exc:
        return _refuse(form, exc), None


@require_http_methods(["GET", "POST"])
def register(request):
    """实名注册: name, 公民身份号码, phone with its SMS code, password."""
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    extra, user = _code_flow(
        request,
        form,
        registration.REGISTER,
        lambda d, **at: registration.register(
            real_name=d["real_name"],
            id_number=d["id_number"],
            phone=d["phone"],
            code=d["code"],
            password=d["password1"],
            **at,
        ),
    )
    if user is not None:
        auth_login(request, user, backend=MODEL_BACKEND)
        return redirect(_safe_next(request) or reverse("cases:mine"))
    return _answer(request, "web/register.html", {"form": form, "next": _safe_next(request), **extra})


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """找回密码: the phone of the account, its SMS code, a new password."""
    form = PasswordResetForm(request.POST if request.method == "POST" else None)
    extra, user = _code_flow(
        request,
        form,
        registration.RESET,
        lambda d, **at: registration.reset_password(
            phone=d["phone"], code=d["code"], password=d["password1"], **at
        ),
    )
    if user is not None:
        messages.success(request, f"密码已重置。您的用户名是 {user.username}，请用新密码登录。")
        return redirect("web:login")
    return _answer(request, "web/password_reset.html", {"form": form, **extra})


password_change = auth_views.PasswordChangeView.as_view(
    template_name="web/password_change.html",
    form_class=PasswordChangeForm,
    success_url=reverse_lazy("web:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="web/password_change_done.html"
)
