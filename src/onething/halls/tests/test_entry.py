"""进驻率 on the demo: the expected numbers computed here from the catalog and the windows,
independently of ``offer`` and ``entry``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from onething.catalog.models import Item
from onething.directory.models import Hall, Region, Window
from onething.halls import entry

pytestmark = pytest.mark.django_db


def _under(path: str, code: str) -> bool:
    return code in path.split("/")


def expected() -> dict[str, tuple[set[str], set[str]]]:
    """Region code → (its published items, those some active window of a hall in it accepts)."""
    items = [
        (i.code, i.region.path, set(i.themes or []))
        for i in Item.objects.select_related("region").filter(state__in=["published", "changed"])
    ]
    accepted: dict[str, set[str]] = {}
    for hall in Hall.objects.select_related("region"):
        # what the hall takes in: its own region, or its county for township/village/bank points
        scope = (
            hall.region_id[:6]
            if hall.kind in ("township", "village", "bank") and len(hall.region_id) > 6
            else hall.region_id
        )
        taken = [(code, themes) for code, path, themes in items if _under(path, scope)]
        got = set()
        for window in Window.objects.filter(hall=hall, active=True):
            for code, themes in taken:
                named = code in (window.items or [])
                broad = window.comprehensive and (not window.themes or bool(set(window.themes) & themes))
                if named or broad:
                    got.add(code)
        accepted[hall.code] = got
    out = {}
    for region in Region.objects.all():
        mine = {code for code, path, _ in items if _under(path, region.code)}
        halls = [h for h in Hall.objects.select_related("region") if _under(h.region.path, region.code)]
        offered = set().union(*(accepted[h.code] for h in halls)) if halls else set()
        out[region.code] = (mine, mine & offered)
    return out


def test_entry_numbers_on_the_demo():
    want = expected()
    rows = {r.region.code: r for r in entry.report()}
    assert {"430000", "430600", "430602", "430626"} <= set(rows)
    for code, row in rows.items():
        items, offered = want[code]
        assert {i["code"] for i in row.items} == items, code
        assert {i["code"] for i in row.offered} == offered, code
        assert {i["code"] for i in row.missing} == items - offered, code
        assert row.rate == (len(offered) / len(items) if items else None)
    # the demo's shape: province-level items are taken in by no hall (there is no provincial
    # hall); the city hall's comprehensive windows take in every city and county item
    province = {i.code for i in Item.objects.filter(region_id="430000")}
    assert province and province <= {i["code"] for i in rows["430000"].missing}
    assert rows["430600"].rate == 1.0
    assert 0 < rows["430602"].rate < 1  # only the bank outlet, for its themes
    assert rows["430626"].percent == "100.0%"


def test_a_region_without_windows_offers_nothing_and_a_specialist_window_adds_its_items():
    Window.objects.filter(hall__code="ccb-yueyanglou").update(active=False)
    row = next(r for r in entry.report(Region.objects.get(code="430602")) if r.region.code == "430602")
    assert row.items and not row.offered and row.rate == 0
    one = row.items[0]["code"]
    Window.objects.create(
        code="ccb-2",
        hall=Hall.objects.get(code="ccb-yueyanglou"),
        number="2",
        name="专窗",
        comprehensive=False,
        items=[one],
    )
    row = next(r for r in entry.report(Region.objects.get(code="430602")) if r.region.code == "430602")
    assert [i["code"] for i in row.offered] == [one]
    assert row.rate == pytest.approx(1 / len(row.items))


def test_report_limited_to_a_supervisors_regions():
    rows = entry.report(None, regions=[Region.objects.get(code="430626")])
    assert rows and all(_under(r.region.path, "430626") for r in rows)


def test_command_prints_the_table():
    out = io.StringIO()
    call_command("entry_report", region="430626", missing=True, stdout=out)
    text = out.getvalue()
    assert text.splitlines()[0].startswith("区划代码")
    assert "430626\t平江县" in text and "100.0%" in text
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("entry_report", region="999999", stdout=io.StringIO())


def test_entry_page_shows_rates_and_missing_items(client, django_user_model):
    client.force_login(django_user_model.objects.get(username="admin"))
    page = client.get("/halls/entry/?region=430602").content.decode()
    row = next(r for r in entry.report(Region.objects.get(code="430602")) if r.region.code == "430602")
    assert row.percent in page and f"未进驻事项 {len(row.missing)} 项" in page
    assert row.missing[0]["name"] in page
