"""The staff desks in a real browser on a phone (390×844): the demo approver logs in from the
home page, finds the ordered queue (red, yellow, then the rest, each said in words) and decides
the red case with a result file; the demo supervisor logs in, filters the board and presses a
case with 督办. Only clicks and typing after the first page; no page scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from onething.cases.tests.conftest import sample_png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BIRTH = "430600-WJ-2001-01"  # 出生医学证明办理 (市卫健委, 1 working day)
HYGIENE = "430600-WJ-0101-01"  # 卫生许可证核发（公共场所） (市卫健委, 5 working days)
BIRTH_DISTRICT = "430602-WJ-2001-01"  # 出生医学证明办理 (岳阳楼区卫健局)
ZHANG = {"name": "张三", "id_number": "430602199001011235", "phone": "13800000001"}


def fits(page) -> None:
    """Nothing on the page is wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _file(people, code: str, accepted_at: dt.datetime) -> str:
    """An item filed at the city hall's window with every material on paper, accepted."""
    from onething.cases import intake, lifecycle
    from onething.cases.models import Channel
    from onething.cases.tests.conftest import form_for

    plan = intake.load_plan("item", code, {})
    app = intake.submit(
        people["chuangkou"],
        kind="item",
        code=code,
        answers={},
        form=form_for([f.as_dict() for f in plan.form]),
        channel=Channel.WINDOW,
        on_behalf=ZHANG,
        idempotency_key=f"browser-{code}-{accepted_at:%Y%m%d%H}",
        received=[m.material for m in plan.materials if not m.exempt],
        now=accepted_at,
    ).application
    lifecycle.accept(app, people["chuangkou"], now=accepted_at)
    return app.number


@pytest.fixture
def lit_cases(demo, people):
    """卫健's queue today: a red 出生医学证明 (accepted 10 days ago), a yellow 卫生许可证 (its policy
    warns 4 working days ahead; accepted 2 working days before the latest working day) and a
    fresh one; and a red case of the district's 卫健 for the supervisor."""
    from onething.calendar.service import get_calendar
    from onething.cases import deadlines
    from onething.cases.models import SubCase
    from onething.clocks.models import ClockPolicy

    now = timezone.now()
    today = timezone.localdate(now)
    calendar = get_calendar()
    latest = today if calendar.is_workday(today) else calendar.add_workdays(today, -1)
    ten_days_ago = now - dt.timedelta(days=10)
    numbers = {
        "red": _file(people, BIRTH, ten_days_ago),
        "district": _file(people, BIRTH_DISTRICT, ten_days_ago),
    }
    policy = ClockPolicy.objects.get(code="cases.subcase", region=None)
    rule, lead = policy.rule, policy.lead
    policy.rule, policy.lead = "lead", 4
    policy.save()
    two_back = calendar.add_workdays(latest, -2)
    numbers["yellow"] = _file(
        people, HYGIENE, timezone.make_aware(dt.datetime.combine(two_back, dt.time(10)))
    )
    policy.rule, policy.lead = rule, lead
    policy.save()
    numbers["normal"] = _file(people, HYGIENE, now)
    deadlines.scan(today, now)
    warnings = {k: SubCase.objects.get(application__number=n).warning for k, n in numbers.items()}
    assert warnings == {"red": "red", "district": "red", "yellow": "yellow", "normal": ""}, warnings
    return numbers


def login_from_home(page, base: str, username: str) -> None:
    page.goto(base + "/")
    fits(page)
    page.get_by_role("link", name="登录", exact=True).click()
    page.wait_for_selector("#id_username")
    fits(page)
    page.fill("#id_username", username)
    page.fill("#id_password", "onething-demo")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=退出")
    fits(page)


def test_approver_and_supervisor_on_a_phone(phone_page, live_server, demo, people, lit_cases, tmp_path):
    page = phone_page
    base = live_server.url

    # the approver: the queue, most urgent first, said in words and counted
    login_from_home(page, base, "shenpi_weijian")
    page.get_by_role("link", name="工作台").click()
    page.wait_for_selector("#queue")
    fits(page)
    assert page.eval_on_selector_all("#queue > li", "els => els.map(e => e.dataset.level)") == [
        "red",
        "yellow",
        "normal",
    ]
    badges = page.eval_on_selector_all("#queue .light", "els => els.map(e => e.textContent)")
    assert badges[0].startswith("红灯：已超期") and badges[1].startswith("黄灯：剩余"), badges
    assert page.inner_text("#count-red").startswith("1") and page.inner_text("#count-yellow").startswith("1")

    # … and decides the red case with its certificate
    page.locator("#queue > li").first.get_by_role("link").click()
    page.wait_for_selector("form.decide-form")
    fits(page)
    certificate = tmp_path / "出生医学证明.png"
    certificate.write_bytes(sample_png("出生医学证明"))
    form = page.locator("form.decide-form")
    form.get_by_label("准予", exact=True).check()
    form.get_by_label("决定理由").fill("材料齐全，准予办理")
    form.locator("input[type=file]").set_input_files(str(certificate))
    form.get_by_role("button", name="作出决定：出生医学证明办理").click()
    page.wait_for_selector("#messages")
    fits(page)
    assert "办理结果文件已上传" in page.inner_text("#messages")
    assert page.locator(".result-files a", has_text="下载（PNG").count() == 1
    page.get_by_role("link", name="工作台").click()
    page.wait_for_selector("#queue")
    fits(page)
    assert page.eval_on_selector_all("#queue > li", "els => els.map(e => e.dataset.level)") == [
        "yellow",
        "normal",
    ]
    page.get_by_role("button", name="退出").click()
    page.wait_for_selector("text=登录")

    # the supervisor: the board, filtered to 岳阳楼区, and a 督办
    login_from_home(page, base, "ducha")
    page.get_by_role("link", name="工作台").click()
    page.wait_for_selector("#warnings")
    fits(page)
    listed = page.inner_text("#warnings")
    assert (
        lit_cases["district"] in listed and lit_cases["yellow"] in listed and lit_cases["red"] not in listed
    )
    page.select_option("#filter-region", label="岳阳楼区")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**region=430602**")
    fits(page)
    listed = page.inner_text("#warnings")
    assert lit_cases["district"] in listed and lit_cases["yellow"] not in listed
    item = page.locator("#warnings > li").first
    item.locator("summary", has_text="督办").click()
    item.get_by_label("督办意见").fill("已超期，请今日办结并报告")
    item.get_by_role("button", name="督办：出生医学证明办理").click()
    page.wait_for_selector("#messages")
    fits(page)
    assert "已督办" in page.inner_text("#messages") and "region=430602" in page.url
    assert "已督办 1 次" in page.inner_text("#warnings")
    assert not page.console_errors.csp_violations(), page.console_errors
