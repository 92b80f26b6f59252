"""Rates and rankings over a small scene whose numbers are worked out by hand (see
:func:`scene`): 好评率 without the defaulted ratings, 差评率, 差评整改率, 回访率, coverage,
averages per indicator, the region children grouping, the sibling region whose code starts
alike, the local day boundary, ties in the rankings, labels, the department filter and the
public summary."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onething.accounts.models import User
from onething.directory.models import Department, Hall, Region, Window
from onething.halls.models import Ticket
from onething.kernel.errors import Invalid, NotFound
from onething.ratings import figures, projection
from onething.ratings.models import Rating

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
D1, D2 = "11990100MB0000001X", "11990000MB0000002X"
I1, I2 = "990100-T-0001-01", "990100-T-0002-01"
_numbers = itertools.count(1)


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


def make_rating(
    region,
    score: int,
    *,
    source: str = "given",
    department: str | None = None,
    item: str = "",
    hall=None,
    window=None,
    staff=None,
    channel: str = "web",
    indicators: dict | None = None,
    when: dt.datetime | None = None,
    rect: dict | None = None,
    **fields,
) -> Rating:
    """A rating of its own finished ticket (the scene needs no application), recorded in the
    projection as ``service.rate`` records it; ``rect``: the measures its rectification adds."""
    when = when or at("2026-03-10")
    ticket = Ticket.objects.create(
        hall_id="yueyang-city-hall",
        service_id="zonghe",
        day=when.date(),
        number=f"R{next(_numbers):05d}",
        status=Ticket.Status.DONE,
        channel="kiosk",
        issued_at=when,
        finished_at=when,
    )
    rating = Rating.objects.create(
        ticket=ticket,
        channel=channel,
        score=score,
        indicators=indicators or {},
        source=source,
        region=region,
        department_id=department,
        item_code=item,
        service_code=fields.pop("service_code", item),
        hall=hall,
        window=window,
        staff=staff,
        served_at=when,
        created_at=when,
        **fields,
    )
    projection.record_rating(rating)
    if rect:
        projection.add(rating, Counter(rect))
    return rating


def regions() -> dict[str, Region]:
    """测试省 990000 ⊃ 甲市 990100 ⊃ 甲县 990101; 乙市 990200; 丙市 990300; and 丁市 9901001,
    a sibling of 甲市 whose code (and path) starts with 甲市's."""
    p = Region.objects.create(code="990000", name="测试省", level="province")
    a = Region.objects.create(code="990100", name="甲市", level="city", parent=p)
    a1 = Region.objects.create(code="990101", name="甲县", level="county", parent=a)
    b = Region.objects.create(code="990200", name="乙市", level="city", parent=p)
    c = Region.objects.create(code="990300", name="丙市", level="city", parent=p)
    s = Region.objects.create(code="9901001", name="丁市", level="city", parent=p)
    return {"P": p, "A": a, "A1": a1, "B": b, "C": c, "S": s}


@pytest.fixture
def scene(demo):
    return build_scene()


def build_scene() -> dict:
    """In March 2026 (Asia/Shanghai):

    甲市 itself   r1 5 D1 I1 hall H window W1 staff s1 web  overall 5, efficiency 4
                  r2 4 D1 I1 mobile                          overall 4
                  r3 2 D1 I2 staff s1 web   rectification: due, on time, revisited
                  r4 defaulted (3) D1 I1 web
    甲县          r5 1 D2 I2 hall H window W2 staff s2 window  rectification: due, late
                  r6 3 D2 I2 window
    乙市          r7 5 D2 I1 web;  r8 4 D2 I1 web
    丙市          r9 5 web; r10 4 web (no department: window visits of a hall)
    丁市          r11 1 D1 I1 web;  r12 5 D1 I1 web
    测试省 itself r13 4 D1 web
    Outside March: r14 1 D1 甲市 on 2026-04-01 00:30 (still 03-31 in UTC), r15 5 D1 甲市 on
    2026-02-28 23:30.
    """
    r = regions()
    Department.objects.create(code=D1, name="甲市测试局", short_name="甲测试局", region=r["A"])
    Department.objects.create(code=D2, name="测试省测试厅", region=r["P"])
    hall = Hall.objects.create(code="test-hall-a", name="甲市测试大厅", region=r["A"])
    w1 = Window.objects.create(code="test-a-1", hall=hall, number="1", name="综合窗口")
    w2 = Window.objects.create(code="test-a-2", hall=hall, number="2", name="综合窗口")
    s1 = User.objects.create_user("test_staff_1", real_name="测试员甲")
    s2 = User.objects.create_user("test_staff_2", real_name="")
    make_rating(
        r["A"], 5, department=D1, item=I1, hall=hall, window=w1, staff=s1,
        indicators={"overall": 5, "efficiency": 4},
    )  # fmt: skip
    make_rating(r["A"], 4, department=D1, item=I1, channel="mobile", indicators={"overall": 4})
    make_rating(
        r["A"], 2, department=D1, item=I2, staff=s1, rect={"rect_due": 1, "rect_on_time": 1, "revisited": 1}
    )
    make_rating(r["A"], 3, source="defaulted", department=D1, item=I1)
    make_rating(
        r["A1"],
        1,
        department=D2,
        item=I2,
        hall=hall,
        window=w2,
        staff=s2,
        channel="window",
        rect={"rect_due": 1},
    )
    make_rating(r["A1"], 3, department=D2, item=I2, channel="window")
    make_rating(r["B"], 5, department=D2, item=I1)
    make_rating(r["B"], 4, department=D2, item=I1)
    make_rating(r["C"], 5)
    make_rating(r["C"], 4)
    make_rating(r["S"], 1, department=D1, item=I1)
    make_rating(r["S"], 5, department=D1, item=I1)
    make_rating(r["P"], 4, department=D1)
    make_rating(r["A"], 1, department=D1, item=I1, when=at("2026-04-01", 0, 30))
    make_rating(r["A"], 5, department=D1, item=I1, when=at("2026-02-28", 23, 30))
    return {**r, "hall": hall, "w1": w1, "w2": w2, "s1": s1, "s2": s2}


def by_key(rows) -> dict:
    return {r.key: r for r in rows}


def test_totals_of_a_city_with_its_county(scene):
    row = figures.totals(scene["A"], *MARCH)
    assert (row.ratings, row.given, row.defaulted, row.good, row.bad) == (6, 5, 1, 2, 2)
    assert row.good_rate == pytest.approx(2 / 5) and row.parts("good_rate") == (2, 5)  # r4 not counted
    assert row.bad_rate == pytest.approx(2 / 5)
    assert row.parts("fixed_rate") == (1, 2) and row.fixed_rate == 0.5
    assert row.parts("revisit_rate") == (1, 2) and row.revisit_rate == 0.5
    assert row.parts("coverage") == (5, 6) and row.coverage == pytest.approx(5 / 6)
    assert row.average == pytest.approx(15 / 5)
    assert row.indicators["overall"] == pytest.approx(4.5)
    assert row.indicators["efficiency"] == 4.0
    assert row.indicators["attitude"] is None


def test_region_rows_group_by_child_and_keep_the_region_itself(scene):
    rows = figures.rates(scene["A"], start=MARCH[0], end=MARCH[1], dim="region")
    assert [r.key for r in rows] == [figures.SELF, "990101"]
    own, county = rows
    assert own.label == "甲市（本级）" and county.label == "甲县"
    assert (own.ratings, own.given, own.good, own.bad) == (4, 3, 2, 1)
    assert own.good_rate == pytest.approx(2 / 3)
    assert (county.ratings, county.good, county.bad, county.good_rate) == (2, 0, 1, 0.0)


def test_province_rows_fold_the_county_into_its_city_and_keep_the_sibling_apart(scene):
    rows = by_key(figures.rates(scene["P"], start=MARCH[0], end=MARCH[1], dim="region"))
    assert set(rows) == {figures.SELF, "990100", "990200", "990300", "9901001"}
    assert rows["990100"].ratings == 6  # 甲市 and 甲县
    assert rows["9901001"].ratings == 2 and rows["9901001"].label == "丁市"
    assert rows[figures.SELF].ratings == 1
    assert figures.totals(scene["P"], *MARCH).ratings == 13


def test_a_sibling_whose_code_starts_alike_is_not_counted(scene):
    assert figures.totals(scene["A"], *MARCH).ratings == 6  # not 丁市's two
    assert figures.totals(scene["S"], *MARCH).ratings == 2


def test_days_are_local_days(scene):
    april = figures.totals(scene["A"], dt.date(2026, 4, 1), dt.date(2026, 4, 1))
    assert (april.ratings, april.bad) == (1, 1)
    february = figures.totals(scene["A"], dt.date(2026, 2, 28), dt.date(2026, 2, 28))
    assert (february.ratings, february.good) == (1, 1)
    assert figures.totals(scene["A"], dt.date(2026, 3, 11), dt.date(2026, 3, 31)).ratings == 0
    assert figures.rates(scene["A"], start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31), dim="item") == []


def test_items_departments_channels_and_staff(scene):
    def rows(dim):
        return by_key(figures.rates(scene["A"], start=MARCH[0], end=MARCH[1], dim=dim))

    items = rows("item")
    assert (items[I1].ratings, items[I1].given, items[I1].defaulted, items[I1].good_rate) == (3, 2, 1, 1.0)
    assert items[I1].coverage == pytest.approx(2 / 3)
    assert (items[I2].ratings, items[I2].bad, items[I2].bad_rate) == (3, 2, pytest.approx(2 / 3))
    assert items[I1].label == I1  # not in the catalog: its code
    departments = rows("department")
    assert departments[D1].label == "甲测试局" and departments[D1].ratings == 4
    assert departments[D2].label == "测试省测试厅" and departments[D2].ratings == 2
    channels = figures.rates(scene["A"], start=MARCH[0], end=MARCH[1], dim="channel")
    assert [(r.key, r.label, r.ratings) for r in channels] == [
        ("web", "网上办", 3),
        ("mobile", "掌上办", 1),
        ("window", "窗口办", 2),
    ]
    staff = rows("staff")
    s1, s2 = str(scene["s1"].pk), str(scene["s2"].pk)
    assert set(staff) == {s1, s2}  # the ratings naming no one are no row
    assert staff[s1].label == "测试员甲" and (staff[s1].good, staff[s1].bad) == (1, 1)
    assert staff[s2].label == "test_staff_2"  # no real name: the username
    windows = rows("window")
    assert windows[str(scene["w1"].pk)].label == "甲市测试大厅 1号窗口"
    assert windows[str(scene["w2"].pk)].fixed_rate == 0.0
    assert (
        by_key(figures.rates(scene["A"], start=MARCH[0], end=MARCH[1], dim="hall"))["test-hall-a"].ratings
        == 2
    )
    services = rows("service")
    assert services[I1].ratings == 3


def test_rankings_by_region_share_ranks_on_ties(scene):
    rows = figures.rankings(scene["P"], *MARCH, by="region")
    # 乙市 and 丙市: 好评率 1, no rectification, two ratings each — a tie; 丁市 1/2; 甲市 2/5
    assert [(r.key, r.rank) for r in rows] == [("990200", 1), ("990300", 1), ("9901001", 3), ("990100", 4)]
    assert figures.SELF not in {r.key for r in rows}


def test_rankings_by_department(scene):
    rows = figures.rankings(scene["P"], *MARCH, by="department")
    # D1: r1 r2 r3 r4(defaulted) r11 r12 r13 → given 6, good 4; D2: r5–r8 → given 4, good 2
    assert [(r.key, r.rank, r.fraction("good_rate")) for r in rows] == [
        (D1, 1, Fraction(2, 3)),
        (D2, 2, Fraction(1, 2)),
    ]


def test_ranking_order_falls_back_to_fixed_rate_then_ratings():
    def row(key, **counts):
        return figures.Row(key, key, counts)

    rows = figures.ranked(
        [
            row("few", given=2, good=1, ratings=2),
            row("late", given=4, good=2, ratings=4, rect_due=2, rect_on_time=1),
            row("fixed", given=4, good=2, ratings=4, rect_due=1, rect_on_time=1),
            row("many", given=6, good=3, ratings=6),
            row("none", ratings=3, defaulted=3),
            row("same", given=2, good=1, ratings=2),
        ]
    )
    assert [(r.key, r.rank) for r in rows] == [
        ("fixed", 1),  # 1/2, fixed 1
        ("late", 2),  # 1/2, fixed 1/2
        ("many", 3),  # 1/2, no rectification, 6 ratings
        ("few", 4),
        ("same", 4),  # a tie with "few"
        ("none", 6),  # no given rating: no 好评率, last
    ]


def test_department_filter(scene):
    row = figures.totals(scene["P"], *MARCH, departments=[D2])
    assert (row.ratings, row.good, row.bad) == (4, 2, 1)
    regions_ = by_key(figures.rates(scene["P"], start=MARCH[0], end=MARCH[1], dim="region", departments=[D2]))
    assert {k: r.ratings for k, r in regions_.items()} == {"990100": 2, "990200": 2}
    departments = figures.rates(scene["P"], start=MARCH[0], end=MARCH[1], dim="department", departments=[D2])
    assert [r.key for r in departments] == [D2]
    with pytest.raises(NotFound):
        figures.rates(scene["P"], start=MARCH[0], end=MARCH[1], dim="hall", departments=[D2])


def test_labels_are_loaded_in_one_query_per_dimension(scene):
    for dim in ("department", "window", "staff", "region", "hall", "item"):
        with CaptureQueriesContext(connection) as queries:
            rows = figures.rates(scene["P"], start=MARCH[0], end=MARCH[1], dim=dim)
        assert rows and len(queries) == 2, (dim, [q["sql"] for q in queries])  # facts, then names


def test_period_and_dimension_input():
    today = dt.date(2026, 3, 17)
    assert figures.period(today=today) == (dt.date(2026, 3, 1), today)
    assert figures.period("2026-03-05", "2026-03-06", today=today) == (
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 6),
    )
    assert figures.period(None, "2026-02-10", today=today) == (dt.date(2026, 2, 1), dt.date(2026, 2, 10))
    for first, last, field in [
        ("2026-02-30", None, "from"),
        ("2026/03/01", None, "from"),
        (None, "x", "to"),
        ("2026-03-10", "2026-03-01", "from"),
        ("2024-01-01", "2026-01-01", "to"),
    ]:
        with pytest.raises(Invalid) as exc:
            figures.period(first, last, today=today)
        assert exc.value.field == field
    with pytest.raises(Invalid, match="起始日期"):
        figures.period("2026-13-01")
    assert figures.dimension(None) == "region" and figures.dimension("staff") == "staff"
    with pytest.raises(Invalid):
        figures.dimension("rater")


def test_service_summary_counts_levels_without_personal_data(demo):
    bundle, item = "430600-YJS-XSECS", "430600-WJ-2001-01"
    before = figures.service_summary(bundle)
    before_item = figures.service_summary(item)
    yueyang = Region.objects.get(code="430602")
    today = timezone.localdate()
    for score, source in [(5, "given"), (4, "given"), (3, "given"), (1, "given"), (3, "defaulted")]:
        make_rating(
            yueyang, score, source=source, item=item, service_code=bundle, rater_name="王小明",
            rater_phone="13900000000", when=at(today.isoformat()),
        )  # fmt: skip
    make_rating(yueyang, 5, item=item, service_code=bundle, when=at("2024-01-10"))  # older than 12 months
    after = figures.service_summary(bundle)
    assert after["name"] == "新生儿出生一件事" and after["kind"] == "bundle"
    delta = {
        k: after["recent"][k] - before["recent"][k]
        for k in (
            "ratings",
            "given",
            "good",
            "bad",
            "level_5",
            "level_4",
            "level_3",
            "level_2",
            "level_1",
            "defaulted",
        )
    }
    assert delta == {
        "ratings": 5, "given": 4, "good": 2, "bad": 1, "defaulted": 1,
        "level_5": 1, "level_4": 1, "level_3": 1, "level_2": 0, "level_1": 1,
    }  # fmt: skip
    assert after["all"]["ratings"] - before["all"]["ratings"] == 6
    assert figures.service_summary(item)["all"]["ratings"] - before_item["all"]["ratings"] == 6
    assert "王小明" not in repr(after) and "13900000000" not in repr(after)
    with pytest.raises(NotFound):
        figures.service_summary("no-such-code")


def test_a_removed_rating_leaves_no_row(scene):
    rating = Rating.objects.filter(region=scene["C"]).order_by("pk").first()
    projection.remove_rating(rating)
    Rating.objects.filter(pk=rating.pk).update(excluded=True)
    rows = figures.rates(scene["C"], start=MARCH[0], end=MARCH[1], dim="channel")
    assert [(r.key, r.ratings) for r in rows] == [("web", 1)]
    other = Rating.objects.filter(region=scene["C"], excluded=False).get()
    projection.remove_rating(other)
    assert figures.rates(scene["C"], start=MARCH[0], end=MARCH[1], dim="channel") == []
    assert figures.totals(scene["C"], *MARCH).ratings == 0
