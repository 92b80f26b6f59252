"""Applying from the web as an enterprise (以企业名义申请) or as an agent (帮办代办): the choice
is offered only where it applies, intake's checks surface next to the field they concern with
what the user typed kept, and nothing is written when they fail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from onething.accounts.models import EnterpriseAuthorisation
from onething.cases.models import Application
from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM
from onething.cases.tests.test_web import attach_all

pytestmark = pytest.mark.django_db
APPLY = f"/cases/apply/bundle/{BUNDLE}/"
USCC = "91430600MA4L00001C"  # the demo enterprise; lisi is its legal representative
LISI_ID = "430626198805052012"


def login(people, username):
    c = Client()
    c.force_login(people[username])
    return c


def page_and_data(client, **extra):
    """The apply page (questions answered) and a complete POST for it, plus ``extra``."""
    query = "&".join(f"a.{k}={'true' if v else 'false'}" for k, v in ANSWERS.items())
    page = client.get(f"{APPLY}?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    data = {"idempotency_key": re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)}
    data.update({f"a.{k}": "true" if v else "false" for k, v in ANSWERS.items()})
    for element in re.findall(r'name="f\.([a-z_.]+)"', html):
        group, name = element.split(".", 1)
        data[f"f.{element}"] = FORM.get(group, {}).get(name, "")
    attach_all(data, html)
    data.update(extra)
    return html, data


def test_enterprise_choice_only_for_authorised_users(people):
    html, _ = page_and_data(login(people, "lisi"))
    assert 'value="enterprise"' in html and f'<option value="{USCC}">' in html
    assert "岳阳市洞庭湖餐饮管理有限公司" in html
    html, _ = page_and_data(login(people, "zhangsan"))
    assert 'value="enterprise"' not in html and 'name="enterprise"' not in html
    # an expired authorisation no longer counts
    EnterpriseAuthorisation.objects.filter(user=people["lisi"]).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    html, _ = page_and_data(login(people, "lisi"))
    assert 'value="enterprise"' not in html
    # everyone may file as 帮办代办 (intake does not restrict the channel to a role)
    assert 'value="agent"' in html and 'name="authorisation_document"' in html


def test_enterprise_application_from_the_web(people):
    c = login(people, "lisi")
    _, data = page_and_data(c, mode="enterprise", enterprise=USCC)
    r = c.post(APPLY, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    app = Application.objects.get()
    assert app.enterprise_id == USCC and app.applicant == people["lisi"] and app.channel == "web"
    assert app.agent is None
    page = c.get(f"/cases/{app.number}/").content.decode()
    assert re.search(r'id="app-enterprise">岳阳市洞庭湖餐饮管理有限公司<', page)


def test_enterprise_without_authorisation_is_refused_at_the_field(people):
    c = login(people, "zhangsan")
    _, data = page_and_data(c, mode="enterprise", enterprise=USCC)
    r = c.post(APPLY, data)
    html = r.content.decode()
    assert r.status_code == 400
    assert Application.objects.count() == 0
    error = re.search(r'<p class="error" id="enterprise-error">([^<]*)</p>', html)
    assert error and "未获该企业授权" in error.group(1)
    assert 'aria-describedby="enterprise-error"' in html
    assert 'value="enterprise" checked' in html  # the choice is kept
    assert 'value="岳阳市岳阳楼区洞庭路1号"' in html  # and what was typed in the form
    # an authorised user who picks no enterprise is asked to choose one
    c = login(people, "lisi")
    _, data = page_and_data(c, mode="enterprise", enterprise="")
    r = c.post(APPLY, data)
    assert r.status_code == 400 and 'id="enterprise-error"' in r.content.decode()
    assert Application.objects.count() == 0


def test_agent_application_from_the_web(people):
    c = login(people, "zhangsan")
    _, data = page_and_data(
        c,
        mode="agent",
        applicant_name="李四",
        applicant_id_number=LISI_ID,
        applicant_phone="13800000002",
        authorisation_document="授权委托书 2026-001",
    )
    r = c.post(APPLY, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    app = Application.objects.get()
    assert app.channel == "agent" and app.agent == people["zhangsan"]
    assert app.agent_authorisation == {"document": "授权委托书 2026-001"}
    assert app.applicant == people["lisi"] and app.applicant_name == "李四"
    assert app.enterprise is None
    page = c.get(f"/cases/{app.number}/").content.decode()
    assert re.search(r'id="app-agent">张三（授权委托：授权委托书 2026-001）<', page)
    # the person represented sees it too, with the agent named
    page = login(people, "lisi").get(f"/cases/{app.number}/").content.decode()
    assert 'id="app-agent">张三' in page and "帮办代办" in page


@pytest.mark.parametrize(
    ("extra", "error_id", "expect"),
    [
        ({"authorisation_document": ""}, "authorisation-document-error", "授权委托"),
        ({"authorisation_document": "x" * 201}, "authorisation-document-error", "200"),
        ({"applicant_name": ""}, "applicant-name-error", "姓名"),
        ({"applicant_id_number": "430626198805052013"}, "applicant-id-error", "校验码"),
        ({"applicant_phone": "12345"}, "applicant-phone-error", "电话"),
        ({"mode": "boss"}, "mode-error", "申请身份"),
    ],
)
def test_agent_errors_are_shown_at_the_field(people, extra, error_id, expect):
    c = login(people, "zhangsan")
    values = {
        "mode": "agent",
        "applicant_name": "李四",
        "applicant_id_number": LISI_ID,
        "applicant_phone": "13800000002",
        "authorisation_document": "授权委托书 2026-001",
        **extra,
    }
    _, data = page_and_data(c, **values)
    r = c.post(APPLY, data)
    html = r.content.decode()
    assert r.status_code == 400
    assert Application.objects.count() == 0
    error = re.search(rf'<p class="error" id="{error_id}">([^<]*)</p>', html)
    assert error and expect in error.group(1), html[:200]
    assert re.search(rf'aria-describedby="[^"]*\b{error_id}"', html)  # the control points to it
    if values["mode"] == "agent":
        assert '<details id="agent-details" open>' in html  # the agent part stays open
        assert f'value="{values["applicant_name"]}"' in html  # what was typed is kept


def test_my_applications_lists_the_enterprises_cases_for_every_authorised_person(people, submit, make_user):
    """我的办件 shows what ``GET /applications`` shows a person as their own: an enterprise's
    case is listed for each of its authorised people, not only for the one who filed it."""
    from onething.accounts.models import Enterprise

    app = submit(actor=people["lisi"], enterprise=USCC)
    colleague = make_user("caiwu", real_name="财务专员")
    EnterpriseAuthorisation.objects.create(enterprise=Enterprise.objects.get(uscc=USCC), user=colleague)
    client = Client()
    client.force_login(colleague)
    assert app.number in client.get("/cases/").content.decode()
    # and a clerk's 我的办件 is not the hall's work list
    assert app.number not in login(people, "chuangkou").get("/cases/").content.decode()


@pytest.mark.parametrize("channel", ["window", "self_service", "cross_province"])
def test_a_clerk_filing_for_someone_is_never_the_applicant(people, submit, channel):
    """At the counter, a kiosk or for another province the clerk files for the person: the
    clerk may not withdraw or resubmit as the applicant, and the case is not their own."""
    from onething.cases import lifecycle
    from onething.cases.access import APPLICANT, roles_for

    clerk = people["chuangkou"]
    applicant = {"name": "王芳", "id_number": "430602199201011221", "phone": "13800000002"}
    app = submit(actor=clerk, channel=channel, on_behalf=applicant)
    assert app.submitted_by == clerk and APPLICANT not in roles_for(clerk, app)
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.withdraw(app, clerk, reason="代为撤回")
    assert app.number not in login(people, "chuangkou").get("/cases/").content.decode()
