"""One rule for which supervisors cover a case: those of its application's region and above.

A district bundle can have a member handled by a city department (the sub-case sits in the
city). Before, access and 延期 approval went by the application's region, the red-warning
messages and the supervisor board by the sub-case's: the district supervisor could approve an
extension of that member but was never told it went red, nor saw it on the board.
"""

from __future__ import annotations

import pytest
from django.test import Client

from onething.accounts.models import StaffRole
from onething.cases import deadlines, intake, lifecycle
from onething.cases.access import SUPERVISOR, roles_for, supervisors_of, visible_applications
from onething.cases.models import Application, SubCase
from onething.cases.tests.conftest import at
from onething.notifications.models import Notification

pytestmark = pytest.mark.django_db
DISTRICT, CITY = "430602", "430600"
FIRST = "430600-WJ-2001-01"  # 出生医学证明: 1 working day


@pytest.fixture
def district_case(submit, people, upload_factory, make_user):
    """A case filed in the district whose first member sits with the city; a district supervisor."""
    app = submit(now=at("2026-11-23"))
    for m in app.plan["materials"]:
        if not m["exempt"]:
            intake.store_upload(app, m["material"], upload_factory(), people["zhangsan"])
    lifecycle.accept(app, people["chuangkou"], now=at("2026-11-23"))
    Application.objects.filter(pk=app.pk).update(region_id=DISTRICT)
    SubCase.objects.filter(application=app).update(region_id=CITY)
    district = make_user("ducha_qu", roles=[(StaffRole.SUPERVISOR, {"region_id": DISTRICT})])
    return Application.objects.get(pk=app.pk), district


def test_the_district_supervisor_covers_every_member_of_a_district_case(district_case, people):
    app, district = district_case
    first = app.subcases.get(item_code=FIRST)
    assert first.region_id == CITY and app.region_id == DISTRICT
    assert SUPERVISOR in roles_for(district, app, first)
    assert SUPERVISOR in roles_for(people["ducha"], app, first)  # the city covers its districts
    assert set(supervisors_of(app)) == {district, people["ducha"]}
    assert visible_applications(district).filter(pk=app.pk).exists()


def test_red_is_told_to_the_supervisors_who_may_approve_its_extension(
    district_case, people, django_capture_on_commit_callbacks
):
    app, district = district_case
    with django_capture_on_commit_callbacks(execute=True):
        result = deadlines.scan(at("2026-11-25").date(), at("2026-11-25", 12))
    assert result.red >= 1
    for supervisor in (district, people["ducha"]):
        [told] = Notification.objects.filter(recipient=supervisor, event="case.deadline")
        assert "红灯" in told.title and app.subcases.get(item_code=FIRST).number in told.body


def test_the_supervisor_board_lists_the_red_member(district_case, django_capture_on_commit_callbacks):
    app, district = district_case
    with django_capture_on_commit_callbacks(execute=True):
        deadlines.scan(at("2026-11-25").date(), at("2026-11-25", 12))
    client = Client()
    client.force_login(district)
    page = client.get("/cases/supervisor/").content.decode()
    assert app.subcases.get(item_code=FIRST).number in page
