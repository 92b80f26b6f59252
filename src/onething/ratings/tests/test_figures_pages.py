"""The 好差评统计 page, its Excel export and the public 评价概况: who sees what (404 outside the
scope, a department admin only their department's rows), bad values (a message and 400, or
404 — never 500), the workbook's sheets and headings, no personal data on the public page,
and the guide's link to it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from onething.accounts.models import StaffRole, User
from onething.ratings import figures
from onething.ratings.tests.test_figures import D2, at, build_scene, make_rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(demo):
    return build_scene()


URL = "/ratings/figures/"
EXPORT = "/ratings/figures/export.xlsx"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def clients(scene, make_user):
    def client_of(user):
        client = Client()
        client.force_login(user)
        return client

    supervisor = make_user(
        "test_sup_a", real_name="甲市督查", roles=[(StaffRole.SUPERVISOR, {"region_id": "990100"})]
    )
    dept = make_user(
        "test_dept_d2", real_name="测试厅管理员", roles=[(StaffRole.DEPARTMENT_ADMIN, {"department_id": D2})]
    )
    return {
        "supervisor": client_of(supervisor),
        "department": client_of(dept),
        "admin": client_of(User.objects.get(username="admin")),
        "citizen": client_of(User.objects.get(username="zhangsan")),
        "clerk": client_of(User.objects.get(username="chuangkou")),
    }


def test_anonymous_is_sent_to_login(scene):
    for url in (URL, EXPORT):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_people_without_a_scope_get_404(clients):
    for who in ("citizen", "clerk"):
        assert clients[who].get(URL).status_code == 404
        assert clients[who].get(EXPORT).status_code == 404


def test_supervisor_sees_their_region(clients):
    response = clients["supervisor"].get(URL, {"region": "990100", **MARCH})
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲市（本级）" in page and "甲县" in page
    assert "40.0%" in page and "2/5" in page  # 好评率 of the totals
    assert "区划排名" in page and "部门排名" in page and "甲测试局" in page
    assert 'aria-current="page"' in page and "按渠道" in page
    assert "默认评价" in page and "主动评价率" in page
    # blank region: their own
    assert clients["supervisor"].get(URL, MARCH).context["region"].code == "990100"
    # below it: fine; the default period is the current month so far
    below = clients["supervisor"].get(URL, {"region": "990101"})
    assert below.status_code == 200
    today = timezone.localdate()
    assert below.context["first"] == today.replace(day=1) and below.context["last"] == today


def test_period_presets_link_to_their_dates(clients):
    today = dt.date(2026, 12, 3)
    assert figures.presets(today) == [
        ("本月", dt.date(2026, 12, 1), today),
        ("上月", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        ("近三个月", dt.date(2026, 10, 1), today),
        ("今年", dt.date(2026, 1, 1), today),
    ]
    page = clients["supervisor"].get(URL, {"region": "990100"})
    links = {p["label"]: p for p in page.context["presets"]}
    assert links["本月"]["current"] and not links["上月"]["current"]
    assert "from=" in links["今年"]["href"] and "今年" in page.content.decode()


def test_tabs_switch_the_dimension(clients):
    page = clients["supervisor"].get(URL, {"region": "990100", "by": "window", **MARCH}).content.decode()
    assert "甲市测试大厅 1号窗口" in page
    page = clients["supervisor"].get(URL, {"region": "990100", "by": "staff", **MARCH}).content.decode()
    assert "测试员甲" in page


@pytest.mark.parametrize("region", ["990000", "990200", "9901001", "999999", "x" * 40, "99010"])
def test_regions_outside_the_scope_or_unknown_are_404(clients, region):
    assert clients["supervisor"].get(URL, {"region": region}).status_code == 404
    assert clients["supervisor"].get(EXPORT, {"region": region}).status_code == 404


@pytest.mark.sqlite
@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-02-30"}, "起始日期"),
        ({"from": "yesterday"}, "起始日期"),
        ({"to": "2026-3-1"}, "截止日期"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "起始日期"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "截止日期"),
        ({"by": "rater"}, "统计维度"),
        ({"by": "x" * 500}, "统计维度"),
    ],
)
def test_bad_values_are_a_message_and_400(clients, params, field):
    for url in (URL, EXPORT):
        response = clients["supervisor"].get(url, {"region": "990100", **params})
        assert response.status_code == 400
        assert field in response.content.decode()
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.sqlite
def test_nul_and_control_characters_never_500(clients):
    for query in ("region=9901%00", "from=2026-03-01%00", "by=region%00", "to=%ff%fe"):
        response = clients["supervisor"].get(f"{URL}?{query}")
        assert response.status_code in (400, 404), query


def test_department_admin_sees_only_their_department(clients):
    response = clients["department"].get(URL, MARCH)
    assert response.status_code == 200
    assert response.context["region"].code == "990000"  # their department's region
    assert response.context["department_only"]
    page = response.content.decode()
    assert "按大厅" not in page and "按窗口" not in page and "按渠道" not in page
    # D2 only: r5–r8, 4 ratings, 2 good of 4 given
    totals = {c["label"]: c for c in response.context["totals"]}
    assert totals["评价数"]["value"] == 4 and totals["好评率"]["value"] == "50.0%"
    departments = clients["department"].get(URL, {"by": "department", **MARCH}).context["rows"]
    assert [r["label"] for r in departments] == ["测试省测试厅"]
    assert "甲测试局" not in clients["department"].get(URL, {"by": "department", **MARCH}).content.decode()
    for dim in ("hall", "window", "channel"):
        assert clients["department"].get(URL, {"by": dim}).status_code == 404
    assert clients["department"].get(URL, {"region": "430000"}).status_code == 404


def test_platform_admin_sees_any_province(clients):
    response = clients["admin"].get(URL, {"region": "990000", **MARCH})
    assert response.status_code == 200
    ranking = response.context["region_ranking"]
    assert [(r["label"], r["rank"]) for r in ranking] == [("乙市", 1), ("丙市", 1), ("丁市", 3), ("甲市", 4)]


def test_export_has_a_sheet_per_dimension_and_the_rankings(clients):
    response = clients["supervisor"].get(EXPORT, {"region": "990100", **MARCH})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "ratings-990100-20260301-20260331.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [*figures.DIMS.values(), "区划排名", "部门排名", "合计", "说明"]
    heads = [c.value for c in book["按区划"][1]]
    assert heads[:4] == ["区划", "编码", "评价数", "主动评价"]
    assert {
        "好评率",
        "差评率",
        "差评整改率",
        "回访率",
        "主动评价率",
        "平均分",
        "整体满意度（平均分）",
    } <= set(heads)
    rows = {
        r[0]: dict(zip(heads, r, strict=True)) for r in book["按区划"].iter_rows(min_row=2, values_only=True)
    }
    assert rows["甲市（本级）"]["评价数"] == 4 and rows["甲县"]["差评"] == 1
    assert rows["甲市（本级）"]["好评率"] == pytest.approx(2 / 3)
    assert [c.value for c in book["区划排名"][1]][:3] == ["排名", "区划", "编码"]
    assert [r[0] for r in book["部门排名"].iter_rows(min_row=2, values_only=True)] == [1, 2]
    assert "2026-03-01 至 2026-03-31" in [c.value for c in book["说明"]["B"]]


def test_department_admin_export_has_their_sheets_only(clients):
    book = load_workbook(io.BytesIO(clients["department"].get(EXPORT, MARCH).content))
    assert book.sheetnames == [
        "按区划",
        "按部门",
        "按事项",
        "按工作人员",
        "区划排名",
        "部门排名",
        "合计",
        "说明",
    ]
    assert [r[1] for r in book["按部门"].iter_rows(min_row=2, values_only=True)] == [D2]


# ---------------------------------------------------------------------------------- public

BUNDLE, ITEM = "430600-YJS-XSECS", "430600-WJ-2001-01"


def test_public_summary_needs_no_login_and_shows_no_personal_data(demo, make_user):
    from onething.directory.models import Region

    staff = make_user("test_rated_staff", real_name="被评人员丙")
    region = Region.objects.get(code="430602")
    today = at(timezone.localdate().isoformat())
    for score in (5, 1):
        make_rating(
            region, score, item=ITEM, service_code=BUNDLE, staff=staff, rater_name="王小明",
            rater_phone="13900000000", comment="窗口人员态度很好", when=today,
        )  # fmt: skip
    for code, name in ((BUNDLE, "新生儿出生一件事"), (ITEM, "出生医学证明办理")):
        response = Client().get(f"/ratings/services/{code}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert name in page and "好评率" in page and "各等级评价数" in page and "近12个月" in page
        for private in ("王小明", "13900000000", "被评人员丙", "窗口人员态度很好", "test_rated_staff"):
            assert private not in page
    summary = Client().get(f"/ratings/services/{BUNDLE}/").context["summary"]
    assert summary["recent"]["good"] >= 1 and summary["recent"]["bad"] >= 1


@pytest.mark.sqlite
@pytest.mark.parametrize("code", ["no-such-code", "x" * 300, "430600-YJS-XSECS%00", "%E2%80%AE"])
def test_public_summary_of_unknown_codes_is_404_or_400(demo, code):
    assert Client().get(f"/ratings/services/{code}/").status_code in (400, 404)


def test_the_guide_links_to_the_summary(demo):
    page = Client().get(f"/guide/items/{ITEM}/guide/").content.decode()
    assert f'href="/ratings/services/{ITEM}/"' in page and "评价概况" in page
    page = Client().get(f"/guide/bundles/{BUNDLE}/guide/").content.decode()
    assert f'href="/ratings/services/{BUNDLE}/"' in page
