"""The red/yellow card ledger from cards written by real clock crossings (tickets filed in
the past through intake, dispatched, and the clock scan run at later moments): rows per
department with cards per clock, tickets handled and the on-time rate; who sees what (404
outside); the page, its Excel export and the API; the recurrence pages and API."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from onething.accounts.models import User
from onething.clocks import scan
from onething.hotline import intake, ledger, service
from onething.hotline.models import Card, Recurrence

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
#: a Monday in 2025, before the demo's history in the baseline (which runs up to today)
MON = dt.datetime(2025, 11, 3, 9, 0, tzinfo=TZ)
START, END = dt.date(2025, 11, 1), dt.date(2025, 11, 30)
SHICHANG, RENSHE = "11430600MB0600018G", "11430600MB06000320"
PERIOD = "from=2025-11-01&to=2025-11-30"
OPERATOR, HANDLER = {"operator"}, {"handler"}


def user(name: str) -> User:
    return User.objects.get(username=name)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 11, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def run(django_capture_on_commit_callbacks, monkeypatch):
    """The clock scan at a moment, as the periodic task runs it then: "now" is that moment
    (cards are dated by it) and the callbacks run after the commit."""

    def scan_at(moment: dt.datetime):
        with monkeypatch.context() as m:
            m.setattr(timezone, "now", lambda: moment)
            with django_capture_on_commit_callbacks(execute=True):
                return scan.scan(moment)

    return scan_at


def file(now: dt.datetime):
    data = {
        "category": "complaint",
        "channel": "hotline",
        "content": "反映办事窗口推诿",
        "region": "430602",
        "received_at": now.isoformat(),
    }
    return intake.file(data, actor=user("jiexian"), role="operator", now=now).ticket


@pytest.fixture
def history(run):
    """Three complaints of Monday 3 November 2025 (no phone: no return visit):

    - ``late_dispatch``: not dispatched within the hour (the centre's yellow and red
      dispatch cards), then sent to 市场监管, signed and finished in time;
    - ``late_sign``: sent to 市场监管 at once, signed two days late and finished after its five
      working days (市场监管's red sign and finish cards; not on time);
    - ``prompt``: sent to 人社, finished within the hour (on time, no card).
    """
    jiexian, shichang, renshe = user("jiexian"), user("chengban_shichang"), user("chengban_renshe")
    late_dispatch, late_sign, prompt = file(MON), file(MON), file(MON)
    service.dispatch(late_sign, jiexian, roles=OPERATOR, department=SHICHANG, now=at(3, 9, 5))
    service.dispatch(prompt, jiexian, roles=OPERATOR, department=RENSHE, now=at(3, 9, 5))
    service.sign(prompt, renshe, roles=HANDLER, now=at(3, 9, 10))
    service.answer(prompt, renshe, roles=HANDLER, reply="已答复", now=at(3, 9, 15))
    service.finish(prompt, jiexian, roles=OPERATOR, now=at(3, 9, 20))
    run(at(3, 9, 50))  # dispatch: yellow
    run(at(3, 10, 1))  # dispatch: red
    service.dispatch(late_dispatch, jiexian, roles=OPERATOR, department=SHICHANG, now=at(3, 10, 10))
    service.sign(late_dispatch, shichang, roles=HANDLER, now=at(3, 11))
    service.answer(late_dispatch, shichang, roles=HANDLER, reply="已处理", now=at(3, 11, 30))
    service.finish(late_dispatch, jiexian, roles=OPERATOR, now=at(4, 9))
    run(at(5, 0, 1))  # sign of late_sign: red
    service.sign(late_sign, shichang, roles=HANDLER, now=at(5, 9))
    run(at(11, 0, 1))  # finish of late_sign (due by 10 November): red
    service.answer(late_sign, shichang, roles=HANDLER, reply="已处理", now=at(11, 9))
    service.finish(late_sign, jiexian, roles=OPERATOR, now=at(11, 10))
    return {"late_dispatch": late_dispatch, "late_sign": late_sign, "prompt": prompt}


def rows_by_name(rows):
    return {r.name: r for r in rows}


def test_rows_per_department_from_real_crossings(history):
    cards = Card.objects.filter(ticket__in=list(history.values()))
    assert {(c.clock, c.level, c.department_id) for c in cards if c.level == "red"} == {
        ("dispatch", "red", None),
        ("sign", "red", SHICHANG),
        ("finish", "red", SHICHANG),
    }
    assert all(START <= timezone.localdate(c.at) <= END for c in cards)
    rows = ledger.summary(cards, start=START, end=END, tickets=ledger.scope_of(user("ducha")).tickets())
    found = rows_by_name(rows)
    centre, shichang, renshe = found[ledger.CENTRE], found["市市场监管局"], found["市人社局"]
    assert centre.red == {**dict.fromkeys(ledger.CLOCKS, 0), "dispatch": 1}
    assert centre.yellow["dispatch"] == 1
    assert shichang.red["sign"] == 1 and shichang.red["finish"] == 1 and shichang.red_total == 2
    assert (shichang.handled, shichang.on_time, shichang.on_time_rate) == (2, 1, 0.5)
    assert shichang.red_per_100 == 100
    assert (renshe.red_total, renshe.yellow_total, renshe.handled, renshe.on_time_rate) == (0, 0, 1, 1.0)
    assert rows[0].name == "市市场监管局" and rows[-1].name == "市人社局"  # worst first
    # outside the period: nothing
    assert ledger.summary(cards, start=dt.date(2025, 12, 1), end=dt.date(2025, 12, 31)) == []
    months = ledger.by_month(cards, start=START, end=END, tickets=ledger.scope_of(user("ducha")).tickets())
    assert months[0]["month"] == "2025-11" and months[0]["red"] == 3


def test_scope(history):
    ducha, shichang, renshe = user("ducha"), user("chengban_shichang"), user("chengban_renshe")
    mine = set(Card.objects.filter(ticket__in=list(history.values())).values_list("pk", flat=True))
    assert mine <= set(ledger.cards_visible(ducha).values_list("pk", flat=True))
    assert mine <= set(ledger.cards_visible(user("admin")).values_list("pk", flat=True))
    assert set(ledger.cards_visible(shichang).values_list("department_id", flat=True)) == {SHICHANG}
    assert not ledger.cards_visible(renshe).filter(pk__in=mine).exists()
    assert not ledger.cards_visible(user("zhangsan")).exists()
    assert not ledger.cards_visible(user("chuangkou")).exists()
    scope = ledger.scope_of(shichang)
    names = [r.name for r in ledger.summary(scope.cards(), start=START, end=END, tickets=scope.tickets())]
    assert names == ["市市场监管局"]


def test_page_export_and_scope_404(history):
    client = Client()
    client.force_login(user("ducha"))
    page = client.get(f"/hotline/cards/?{PERIOD}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "市市场监管局" in body and ledger.CENTRE in body and 'class="table-wrap"' in body
    assert f'href="/hotline/tickets/{history["late_sign"].number}/"' in body
    for preset in ("本月", "上月", "近三个月"):
        assert preset in body
    red_only = client.get(f"/hotline/cards/?{PERIOD}&level=red").content.decode()
    assert "黄牌·派单" in red_only  # the columns stay
    assert client.get("/hotline/cards/?from=2025-13-01").status_code == 400
    assert client.get("/hotline/cards/?level=green").status_code == 400
    assert client.get("/hotline/cards/?region=430000").status_code == 404  # above the scope
    export = client.get(f"/hotline/cards/export.xlsx?{PERIOD}")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["部门汇总", "月度趋势", "红黄牌明细", "说明"]
    sheet = book["部门汇总"]
    heads = [c.value for c in sheet[1]]
    values = {
        row[0]: dict(zip(heads, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert values["市市场监管局"]["红牌合计"] == 2 and values["市市场监管局"]["按时办结率"] == 0.5
    numbers = {row[0] for row in book["红黄牌明细"].iter_rows(min_row=2, values_only=True)}
    assert history["late_sign"].number in numbers
    for name in ("zhangsan", "chuangkou"):
        other = Client()
        other.force_login(user(name))
        assert other.get("/hotline/cards/").status_code == 404
        assert other.get("/hotline/cards/export.xlsx").status_code == 404
    assert Client().get("/hotline/cards/").status_code == 302  # login first
    handler = Client()
    handler.force_login(user("chengban_renshe"))
    seen = handler.get(f"/hotline/cards/?{PERIOD}").content.decode()
    assert (
        "市人社局" in seen
        and "市市场监管局" not in seen.split('id="card-departments"')[1].split("</section>")[0]
    )


def test_api_shapes(history, token_for):
    client = Client()
    auth = {"HTTP_AUTHORIZATION": token_for(user("ducha"))}
    body = client.get(f"/api/v1/hotline/cards?{PERIOD}", **auth).json()
    assert set(body) == {"from", "to", "region", "departments", "cards"}
    shichang = next(d for d in body["departments"] if d["department"] == SHICHANG)
    assert shichang["red"]["sign"] == 1 and shichang["handled"] == 2 and shichang["on_time_rate"] == 0.5
    centre = next(d for d in body["departments"] if d["department"] is None)
    assert centre["name"] == ledger.CENTRE and centre["red"]["dispatch"] == 1
    card = next(
        c for c in body["cards"] if c["ticket"] == history["late_sign"].number and c["clock"] == "sign"
    )
    assert card["link"] == f"/hotline/tickets/{card['ticket']}/" and card["department"] == SHICHANG
    assert len(body["cards"]) <= 100
    assert client.get(f"/api/v1/hotline/cards?{PERIOD}&region=430602", **auth).json()["region"] == "430602"
    assert client.get("/api/v1/hotline/cards?region=430000", **auth).status_code == 404
    bad = client.get("/api/v1/hotline/cards?from=nope", **auth)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "from"
    citizen = {"HTTP_AUTHORIZATION": token_for(user("zhangsan"))}
    assert client.get("/api/v1/hotline/cards", **citizen).status_code == 404
    assert client.get("/api/v1/hotline/cards").status_code == 401


# ------------------------------------------------------------------------------ recurrences


@pytest.fixture
def recurrence():
    Recurrence.objects.all().delete()  # the demo's own (undone with the test)
    for _ in range(3):
        data = {
            "category": "complaint",
            "channel": "hotline",
            "content": "窗口推诿",
            "region": "430602",
            "department": SHICHANG,
            "received_at": MON.isoformat(),
        }
        intake.file(data, actor=user("jiexian"), role="operator", now=MON)
    return Recurrence.objects.get(status="open")


def test_recurrence_pages(recurrence):
    owner, other, ducha = Client(), Client(), Client()
    owner.force_login(user("chengban_shichang"))
    other.force_login(user("chengban_renshe"))
    ducha.force_login(user("ducha"))
    url = f"/hotline/recurrences/{recurrence.pk}/"
    listing = owner.get("/hotline/recurrences/").content.decode()
    assert url in listing
    assert url not in other.get("/hotline/recurrences/").content.decode()
    assert other.get(url).status_code == 404
    assert owner.get("/hotline/recurrences/abc/").status_code == 404
    seen = ducha.get(url)
    assert seen.status_code == 200 and 'id="fix-form"' not in seen.content.decode()
    assert ducha.post(url, {"note": "督办"}).status_code == 404
    page = owner.get(url).content.decode()
    assert 'id="fix-form"' in page and recurrence.tickets[0] in page
    empty = owner.post(url, {"note": ""})
    assert empty.status_code == 400 and "请填写整改说明" in empty.content.decode()
    done = owner.post(url, {"note": "已约谈窗口负责人"})
    assert done.status_code == 302
    recurrence.refresh_from_db()
    assert recurrence.status == "fixed" and recurrence.fix_note == "已约谈窗口负责人"
    citizen = Client()
    citizen.force_login(user("zhangsan"))
    assert citizen.get("/hotline/recurrences/").status_code == 404
    assert citizen.get(url).status_code == 404


def test_recurrence_api(recurrence, token_for):
    client = Client()
    owner = {"HTTP_AUTHORIZATION": token_for(user("chengban_shichang"))}
    ducha = {"HTTP_AUTHORIZATION": token_for(user("ducha"))}
    other = {"HTTP_AUTHORIZATION": token_for(user("chengban_renshe"))}
    rows = client.get("/api/v1/hotline/recurrences", **owner).json()["results"]
    mine = next(r for r in rows if r["id"] == recurrence.pk)
    assert mine["subject"] == "department" and mine["count"] == 3 and mine["actions"] == ["fix"]
    assert len(mine["tickets"]) == 3 and mine["due_date"] == "2025-11-17"
    assert all(
        r["id"] != recurrence.pk for r in client.get("/api/v1/hotline/recurrences", **other).json()["results"]
    )
    url = f"/api/v1/hotline/recurrences/{recurrence.pk}/fix"
    post = lambda headers, note: client.post(url, {"note": note}, content_type="application/json", **headers)  # noqa: E731
    assert post(other, "x").status_code == 404
    assert post(ducha, "x").status_code == 403
    blank = post(owner, "")
    assert blank.status_code == 400 and blank.json()["error"]["field"] == "note"
    fixed = post(owner, "已整改")
    assert fixed.status_code == 200 and fixed.json()["status"] == "fixed" and fixed.json()["actions"] == []
    assert post(owner, "再次").status_code == 409
