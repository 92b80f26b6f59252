"""Window figures on constructed tickets with fixed times: wait, service and stay averages and
nearest-rank 90th percentiles, no-show and transfer rates, per window, staff, service, day
and hour; the Excel workbook, the API and the command."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from onething.accounts.models import StaffRole, User
from onething.directory.models import Hall, Window
from onething.halls import figures, queue

pytestmark = pytest.mark.django_db

CITY = "yueyang-city-hall"
TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 3, 3)


def at(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def scene():
    """Five tickets of 2025-03-03 and one of the next day:

    t1 09:00 → yy-1 called 09:05, done 09:15             wait 300  service 600   stay 900
    t2 09:01 → yy-2 called 09:06, transferred to yy-3 09:08, called there 09:10, done 09:30
                                                          wait 300  service 1440  stay 1740
    t3 09:02 → yy-1 called 09:16, recalled, 过号 09:18     wait 840
    t4 09:03 → yy-1 called 09:19, done 09:25             wait 960  service 360   stay 1320
    t5 09:04 still waiting; t6 on 03-04 10:00 waiting.
    """
    hall = Hall.objects.get(code=CITY)
    kiosk = User.objects.get(username="quhao")
    one, two, three = (User.objects.get(username=u) for u in ("chuangkou", "chuangkou2", "chuangkou3"))
    w1, w2, w3 = (Window.objects.get(code=c) for c in ("yy-1", "yy-2", "yy-3"))
    t = [queue.issue(kiosk, hall, "zonghe", now=at(9, m)) for m in range(5)]
    assert queue.call_next(one, w1, now=at(9, 5)).pk == t[0].pk
    assert queue.call_next(two, w2, now=at(9, 6)).pk == t[1].pk
    queue.transfer(two, t[1].pk, reason="需到3号窗口核验", window_code="yy-3", now=at(9, 8))
    assert queue.call_next(three, w3, now=at(9, 10)).pk == t[1].pk
    queue.finish(one, t[0].pk, now=at(9, 15))
    assert queue.call_next(one, w1, now=at(9, 16)).pk == t[2].pk
    queue.recall(one, t[2].pk, now=at(9, 17))
    queue.no_show(one, t[2].pk, now=at(9, 18))
    assert queue.call_next(one, w1, now=at(9, 19)).pk == t[3].pk
    queue.finish(one, t[3].pk, now=at(9, 25))
    queue.finish(three, t[1].pk, now=at(9, 30))
    queue.issue(kiosk, hall, "zonghe", now=at(10, 0, DAY + dt.timedelta(days=1)))
    return hall


def test_percentile_is_nearest_rank():
    assert figures.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) == 90  # not 91 (interpolated)
    assert figures.percentile([5]) == 5
    assert figures.percentile([3, 1, 2]) == 3
    assert figures.percentile(list(range(1, 21))) == 18
    assert figures.percentile([]) is None


def test_totals(scene):
    totals = figures.report([scene], DAY, DAY)["totals"]
    assert totals["volume"] == 5 and totals["served"] == 3 and totals["called"] == 4
    assert totals["no_show"] == 1 and totals["transferred"] == 1
    assert totals["wait_avg"] == 600 and totals["wait_p90"] == 960
    assert totals["service_avg"] == 800 and totals["service_p90"] == 1440
    assert totals["stay_avg"] == 1320 and totals["stay_p90"] == 1740
    assert totals["no_show_rate"] == 0.25 and totals["transfer_rate"] == 0.25


def test_per_window_staff_service_day_and_hour(scene):
    data = figures.report(Hall.objects.filter(code=CITY), DAY, DAY)
    windows = {w["window"]: w for w in data["windows"]}
    assert set(windows) == {"yy-1", "yy-3"}  # a transferred ticket counts where it ended
    w1 = windows["yy-1"]
    assert (w1["volume"], w1["served"], w1["called"], w1["no_show"]) == (3, 2, 3, 1)
    assert w1["wait_avg"] == 700 and w1["wait_p90"] == 960
    assert w1["service_avg"] == 480 and w1["service_p90"] == 600
    assert w1["stay_avg"] == 1110 and w1["stay_p90"] == 1320
    assert w1["no_show_rate"] == pytest.approx(1 / 3) and w1["transfer_rate"] == 0
    w3 = windows["yy-3"]
    assert w3["transfer_rate"] == 1 and w3["service_avg"] == 1440 and w3["wait_avg"] == 300
    staff = {s["staff"]: s for s in data["staff"]}
    assert set(staff) == {"chuangkou", "chuangkou3"} and staff["chuangkou"]["name"] == "王窗口"
    assert staff["chuangkou"]["volume"] == 3 and staff["chuangkou3"]["served"] == 1
    assert [(s["service"], s["volume"]) for s in data["services"]] == [("zonghe", 5)]
    assert [(d["day"], d["volume"]) for d in data["days"]] == [("2025-03-03", 5)]
    assert [(h["hour"], h["volume"]) for h in data["hours"]] == [(9, 5)]
    assert [(h["hall"], h["served"]) for h in data["halls"]] == [(CITY, 3)]
    two_days = figures.report([scene], DAY, DAY + dt.timedelta(days=1))
    assert two_days["totals"]["volume"] == 6
    assert [(h["hour"], h["volume"]) for h in two_days["hours"]] == [(9, 5), (10, 1)]
    assert figures.windows([scene], DAY, DAY) == data["windows"]
    assert figures.staff([CITY], DAY, DAY) == data["staff"]


def test_xlsx_opens_and_has_the_rows(scene):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(figures.xlsx([scene], DAY, DAY)))
    assert {"按窗口", "按人员", "按业务", "按大厅", "按日期", "按时段", "合计"} <= set(book.sheetnames)
    rows = list(book["按窗口"].iter_rows(values_only=True))
    assert rows[0][:4] == ("大厅", "窗口号", "窗口名称", "取号量")
    assert [(r[1], r[3]) for r in rows[1:]] == [("1", 3), ("3", 1)]
    head = list(rows[0])
    assert rows[1][head.index("平均等候（分钟）")] == pytest.approx(11.7)
    assert rows[1][head.index("过号率")] == pytest.approx(0.3333)
    total = dict(book["合计"].iter_rows(values_only=True))
    assert total["取号量"] == 5 and total["办结量"] == 3 and total["转移率"] == 0.25


def test_the_page_shows_the_figures_and_exports_them(scene):
    client = Client()
    client.force_login(User.objects.get(username="ducha"))
    page = client.get(f"/halls/figures/?hall={CITY}&from={DAY}&to={DAY}").content.decode()
    assert "10.0" in page  # average wait 600 s
    assert "25.0%" in page  # no-show and transfer rates
    export = client.get(f"/halls/figures/export.xlsx?hall={CITY}&from={DAY}&to={DAY}")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export.content))
    assert len(list(book["按窗口"].iter_rows())) == 3


def test_api_for_staff_in_scope(scene, token_for, make_user):
    url = f"/api/v1/halls/{CITY}/figures?from={DAY}&to={DAY}"
    response = Client().get(url, HTTP_AUTHORIZATION=token_for(User.objects.get(username="ducha")))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hall"] == CITY and body["from"] == "2025-03-03" and body["to"] == "2025-03-03"
    assert {"windows", "staff", "services", "hours", "totals"} <= set(body)
    assert body["totals"]["wait_p90"] == 960 and body["totals"]["no_show_rate"] == 0.25
    assert [w["window"] for w in body["windows"]] == ["yy-1", "yy-3"]
    clerk = token_for(User.objects.get(username="chuangkou"))
    assert Client().get(url, HTTP_AUTHORIZATION=clerk).status_code == 200
    county = make_user("ducha_pj3", roles=[(StaffRole.SUPERVISOR, {"region_id": "430626"})])
    assert Client().get(url, HTTP_AUTHORIZATION=token_for(county)).status_code == 404
    citizen = token_for(User.objects.get(username="zhangsan"))
    assert Client().get(url, HTTP_AUTHORIZATION=citizen).status_code == 404
    assert Client().get(url).status_code == 401
    admin = token_for(User.objects.get(username="admin"))
    for query in (
        "from=2025-13-01",
        "from=x",
        "from=2025-03-04&to=2025-03-03",
        "from=2020-01-01&to=2025-01-01",
    ):
        bad = Client().get(f"/api/v1/halls/{CITY}/figures?{query}", HTTP_AUTHORIZATION=admin)
        assert bad.status_code in (400, 422), query
    assert Client().get(f"/api/v1/halls/{'x' * 60}/figures", HTTP_AUTHORIZATION=admin).status_code in (
        404,
        422,
    )


def test_command_prints_and_writes_the_workbook(scene, tmp_path):
    out = io.StringIO()
    target = tmp_path / "f.xlsx"
    call_command("hall_figures", hall=CITY, first=str(DAY), last=str(DAY), xlsx=str(target), stdout=out)
    text = out.getvalue()
    assert "1号窗口" in text and "王窗口" in text and "25.0%" in text
    from openpyxl import load_workbook

    assert load_workbook(target)["合计"]["B2"].value == 5
