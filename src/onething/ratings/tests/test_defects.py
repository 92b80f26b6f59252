"""事项缺陷 on generated 差评: threshold − 1 → none, threshold → one defect, more → still one;
another reason or item, or 差评 outside the rolling window → none; the region's policy; the
department's fix (its clock stops) and its effect on the item's 差评率; the staff pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.cases.models import Application
from onething.cases.tests.conftest import people, submit  # noqa: F401 - fixtures
from onething.clocks import service as clocks
from onething.core.errors import Refused
from onething.kernel.errors import NotPermitted
from onething.notifications.models import Notification
from onething.ratings import defects, projection, service
from onething.ratings.machines import REVIEWER, UNIT
from onething.ratings.models import Defect, Rating, RatingPolicy
from onething.ratings.tests.test_rate import finish

pytestmark = pytest.mark.django_db

ITEM, OTHER_ITEM = "430600-WJ-2001-01", "430600-YB-0501-01"


@pytest.fixture
def base(submit):  # noqa: F811
    """A finished case to copy: generated ratings each need a service of their own."""
    return finish(submit())


@pytest.fixture
def unit_admin(base, make_user):
    department = base.subcases.order_by("pk").first().department_id
    return make_user("weijian_admin", roles=[(StaffRole.DEPARTMENT_ADMIN, {"department_id": department})])


_seq = iter(range(1, 10**6))


def clone(app: Application) -> Application:
    copy = Application.objects.get(pk=app.pk)
    copy.pk = None
    copy.number = f"{app.number}-G{next(_seq)}"
    copy.idempotency_key = ""
    copy.save()
    return copy


def rating(base, *, score=2, reason="slow", item=ITEM, at=None, source="given", excluded=False) -> Rating:
    """One generated rating (its own copy of the case), in the projection like a real one."""
    at = at or timezone.now()
    sub = base.subcases.order_by("pk").first()
    row = Rating.objects.create(
        application=clone(base),
        channel="web",
        score=score,
        reason=reason if score <= 2 else "",
        source=source,
        excluded=excluded,
        region_id=base.region_id,
        department_id=sub.department_id,
        service_code=base.code,
        service_name=base.name,
        item_code=item,
        item_name="出生医学证明办理" if item == ITEM else "其他事项",
        served_at=at,
        created_at=at,
    )
    if not excluded:
        projection.record_rating(row)
    return row


def bad(base, n: int, **kw) -> Defect | None:
    """``n`` 差评, each noted as the rating service notes it; the last defect opened."""
    opened = None
    now = kw.pop("now", None) or timezone.now()
    for _ in range(n):
        row = rating(base, at=kw.get("at", now), **{k: v for k, v in kw.items() if k != "at"})
        opened = defects.note_bad(row, now) or opened
    return opened


def test_threshold_minus_one_none_threshold_one_more_still_one(base, unit_admin):
    threshold = RatingPolicy.objects.get(region=None).recurrence_threshold
    assert bad(base, threshold - 1) is None and not Defect.objects.exists()
    defect = bad(base, 1)
    assert defect is not None and Defect.objects.count() == 1
    assert (defect.item_code, defect.reason, defect.status) == (ITEM, "slow", "open")
    assert defect.count == threshold and defect.window_days == 30
    assert defect.department_id == base.subcases.order_by("pk").first().department_id
    assert defect.region_id == base.region_id and defect.due_date is not None
    assert clocks.get(("ratings.defect", str(defect.pk)), "defect") is not None
    note = Notification.objects.get(recipient=unit_admin, event="ratings.defect")
    assert "出生医学证明办理" in note.title and note.link == f"/ratings/defects/{defect.pk}/"
    assert bad(base, 3) is None and Defect.objects.count() == 1


def test_another_reason_or_item_or_not_counted_none(base):
    bad(base, 2, reason="slow")
    bad(base, 1, reason="materials")
    bad(base, 1, item=OTHER_ITEM)
    rating(base, score=2, source="defaulted", reason="slow")  # never a 差评
    rating(base, score=1, excluded=True)  # an upheld appeal took it out
    rating(base, score=3)  # 基本满意
    assert not Defect.objects.exists()
    assert defects.note_bad(rating(base, score=4), timezone.now()) is None


def test_outside_the_rolling_window_none(base):
    now = timezone.now()
    bad(base, 2, at=now - dt.timedelta(days=31), now=now - dt.timedelta(days=31))
    assert bad(base, 1, now=now) is None and not Defect.objects.exists()
    assert bad(base, 1, now=now) is None  # two within the window: still below three
    assert bad(base, 1, now=now) is not None


def test_the_regions_policy(base):
    RatingPolicy.objects.create(region=base.region, recurrence_days=5, recurrence_threshold=2)
    now = timezone.now()
    bad(base, 1, at=now - dt.timedelta(days=6))
    assert bad(base, 1) is None
    defect = bad(base, 1)
    assert defect is not None and defect.count == 2 and defect.window_days == 5


def test_real_bad_ratings_open_it(submit, people):  # noqa: F811
    zhang = people["zhangsan"]
    first = finish(submit())
    RatingPolicy.objects.create(region=first.region, recurrence_threshold=2)
    second = finish(submit())
    for app in (first, second):
        service.rate(
            zhang, application=app, channel="web", score=1, bad_reason="guide", reason_text="指南不清楚"
        )
    defect = Defect.objects.get()
    assert defect.reason == "guide" and defect.count == 2
    assert defect.item_code == first.subcases.order_by("pk").first().item_code


def test_fix_by_the_unit_stops_the_clock(base, unit_admin):
    defect = bad(base, 3)
    with pytest.raises(NotPermitted):
        defects.fix(defect, unit_admin, roles={REVIEWER}, fix_kind="guide", note="修改指南")
    for kind, note in (
        ("nope", "修改指南"),
        ("guide", ""),
        ("guide", "  "),
        ("guide", "x" * 1001),
        ("guide", "a\x00"),
    ):
        with pytest.raises(Refused):
            defects.fix(defect, unit_admin, roles={UNIT}, fix_kind=kind, note=note)
    fixed = defects.fix(defect, unit_admin, roles={UNIT}, fix_kind="guide", note="补充了办理时限说明")
    assert fixed.status == "fixed" and fixed.fix_kind == "guide" and fixed.fixed_by == unit_admin
    assert fixed.due_date is None and fixed.warning == ""
    assert clocks.get(("ratings.defect", str(defect.pk)), "defect").stopped_at is not None
    with pytest.raises(Refused):
        defects.fix(fixed, unit_admin, roles={UNIT}, fix_kind="guide", note="再次整改")
    # a fixed defect no longer blocks a new one when the 差评 keep coming
    assert bad(base, 1) is not None and Defect.objects.filter(status="open").count() == 1


def test_the_effect_compares_the_rate_before_and_since_the_fix(base, unit_admin):
    now = timezone.now()
    before = now - dt.timedelta(days=10)
    defect = bad(base, 3, at=before, now=before)
    rating(base, score=5, at=before)  # 3 bad of 4 given before
    assert defects.effect(defect)["fixed"] is False
    defect = defects.fix(
        defect,
        unit_admin,
        roles={UNIT},
        fix_kind="materials",
        note="精简材料",
        now=now - dt.timedelta(days=5),
    )
    for score in (5, 4, 5):
        rating(base, score=score, at=now)
    rating(base, score=2, at=now)  # 1 bad of 4 given since
    rating(base, score=3, at=now, source="defaulted")  # not given: not in the rate
    effect = defects.effect(defect)
    assert (
        effect["before"]["given"] == 4 and effect["before"]["bad"] == 3 and effect["before"]["rate"] == 0.75
    )
    assert effect["after"]["given"] == 4 and effect["after"]["bad"] == 1 and effect["after"]["rate"] == 0.25
    assert effect["improved"] is True


# ------------------------------------------------------------------------------ pages


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_in_scope_with_the_fix_form_for_the_unit(base, unit_admin, people, make_user):  # noqa: F811
    defect = bad(base, 3)
    url = f"/ratings/defects/{defect.pk}/"
    listing = _client(unit_admin).get("/ratings/defects/").content.decode()
    assert url in listing and "出生医学证明办理" in listing
    page = _client(unit_admin).get(url).content.decode()
    assert "办理时间长、超时" in page and "30 天内收到 3 条" in page and 'id="fix-form"' in page
    assert page.count('class="badge badge-danger">不满意') == 3
    assert people["zhangsan"].real_name not in page  # who rated is not shown
    # the supervisor of the region sees it, without the form; others: 404
    supervisor = _client(people["ducha"]).get(url).content.decode()
    assert "出生医学证明办理" in supervisor and 'id="fix-form"' not in supervisor
    assert _client(people["ducha"]).post(url, {"fix_kind": "guide", "fix_note": "x"}).status_code == 404
    other = make_user(
        "other_admin", roles=[(StaffRole.DEPARTMENT_ADMIN, {"department_id": _other_department(defect)})]
    )
    assert _client(other).get(url).status_code == 404
    assert _client(people["zhangsan"]).get(url).status_code == 404
    assert _client(people["zhangsan"]).get("/ratings/defects/").status_code == 404
    assert _client(unit_admin).get("/ratings/defects/999999999/").status_code == 404
    assert _client(unit_admin).get("/ratings/defects/" + "9" * 40 + "/").status_code == 404
    assert _client(unit_admin).get("/ratings/defects/x/").status_code == 404
    assert Client().get(url).status_code == 302
    # the fix: a refused value is a message on the page, the values kept
    response = _client(unit_admin).post(url, {"fix_kind": "guide", "fix_note": ""})
    assert response.status_code == 400 and "请填写整改说明" in response.content.decode()
    response = _client(unit_admin).post(url, {"fix_kind": "nope", "fix_note": "改了"})
    assert response.status_code == 400 and "改了" in response.content.decode()
    response = _client(unit_admin).post(url, {"fix_kind": "guide", "fix_note": "补充了时限说明"}, follow=True)
    page = response.content.decode()
    assert "已记录整改" in page and "整改效果" in page and "补充了时限说明" in page
    assert Defect.objects.get().status == "fixed"
    assert 'id="fix-form"' not in page
    assert _client(unit_admin).post(url, {"fix_kind": "guide", "fix_note": "x"}).status_code == 404


def _other_department(defect: Defect) -> str:
    from onething.directory.models import Department

    return Department.objects.exclude(code=defect.department_id).values_list("code", flat=True).first()


def test_users_without_a_role_do_not_see_the_list(people):  # noqa: F811
    assert _client(User.objects.get(username="chuangkou")).get("/ratings/defects/").status_code == 404
