"""公民身份号码 never appear unmasked to non-owners: in API responses, error messages and logs.
(Numbers typed into free text — phone and bank card numbers too — are scanned across every
journey in ``test_typed_personal_numbers.py``.)

- Error bodies: every operation is called with an ID number in every parameter and in a
  malformed body; the answer must not echo the number in full.
- Logs: everything logged while serving those requests (``caplog``, i.e. what any handler
  would receive) must not contain the number in full.
- Other people's data: a staff user (not the owner) reading the API sees masked numbers only.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client

from onething.kernel.codes import id_number_check_char, validate_id_number

# a valid (check character correct) number that belongs to nobody in the demo data
_BODY = "43060219851203567"
ID_NUMBER = _BODY + id_number_check_char(_BODY)
ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[1-8][0-9]{16}[0-9Xx](?![0-9A-Za-z])")


def unmasked_ids(text: str, allowed: set[str] = frozenset()) -> set[str]:
    """Valid ID numbers in ``text`` other than ``allowed`` (the viewer's own)."""
    return {m for m in ID_IN_TEXT.findall(text) if validate_id_number(m.upper()) is None} - set(allowed)


def _operations(client: Client):
    document = client.get("/api/v1/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _call(client: Client, method: str, path: str, operation: dict, value: str, headers: dict):
    url = re.sub(r"\{[^}]+\}", value, path)
    query = {p["name"]: value for p in operation.get("parameters", []) if p.get("in") == "query"}
    if method == "get":
        return client.get(url, {**query, "id_number": value}, **headers)
    bodies = [
        {"id_number": value, "answers": {"id_number": value}, "applicant": value, "unexpected": value},
        [value],
        f'{{"id_number": "{value}"',  # malformed JSON that contains the number
    ]
    responses = []
    for body in bodies:
        data = body if isinstance(body, str) else json.dumps(body)
        responses.append(
            getattr(client, method)(
                url + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
                data=data,
                content_type="application/json",
                **headers,
            )
        )
    return responses


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_api_errors_and_logs_never_echo_an_id_number(who, demo, make_user, token_for, caplog):
    client = Client(raise_request_exception=False)
    headers = {}
    if who == "staff":
        staff = make_user("id-probe-staff", roles=[("platform_admin", {})], is_staff=True)
        headers = {"HTTP_AUTHORIZATION": token_for(staff)}
    caplog.set_level(logging.DEBUG)
    leaks = []
    for path, method, operation in _operations(client):
        result = _call(client, method, path, operation, ID_NUMBER, headers)
        for response in result if isinstance(result, list) else [result]:
            body = response.content.decode("utf-8", "replace")
            if unmasked_ids(body):
                leaks.append(f"{method.upper()} {path} → {response.status_code}: {body[:200]}")
    assert not leaks, "响应中出现了未脱敏的公民身份号码：\n" + "\n".join(leaks)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not unmasked_ids(logged), f"日志中出现了未脱敏的公民身份号码：{sorted(unmasked_ids(logged))}"


@pytest.mark.django_db
def test_unknown_page_with_id_number_is_not_logged_in_full(demo, caplog):
    """Django logs 404 paths (``Not Found: /…``); the record itself must already be masked."""
    caplog.set_level(logging.DEBUG)
    Client().get(f"/api/v1/no-such-thing/{ID_NUMBER}")
    Client().get(f"/no-such-page/{ID_NUMBER}/")
    logging.getLogger("onething.test").warning("申请人 %s 提交了材料", ID_NUMBER)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ID_NUMBER[:4] in logged  # the requests were logged …
    assert not unmasked_ids(logged), f"日志中出现了未脱敏的公民身份号码：{logged[:500]}"  # … masked


def test_phone_and_card_numbers_are_masked_in_log_records_too(caplog):
    """The record factory masks every kind of personal number, however it is written."""
    caplog.set_level(logging.INFO)
    logging.getLogger("onething.test").warning(
        "申请人 %s，电话 %s，卡号 %s", ID_NUMBER, "138 1234 5678", "6222 0202 0011 2233 445"
    )
    assert caplog.records[-1].getMessage() == (
        f"申请人 {ID_NUMBER[:4]}**********{ID_NUMBER[-4:]}，电话 138 **** 5678，卡号 6222 **** **** ***3 445"
    )


@pytest.mark.django_db
def test_own_number_in_full_only_for_its_owner(demo, make_user, token_for):
    owner = make_user("id-owner", real_name="王五", id_number=ID_NUMBER)
    response = Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=token_for(owner))
    assert response.status_code == 200
    assert response.json()["id_number"] == ID_NUMBER


@pytest.mark.django_db
def test_staff_reading_the_api_sees_no_other_persons_number(demo, make_user, token_for):
    """A staff member (not the owner of any demo person's data) GETs every list/detail operation.

    Once the cases API exists this covers "a clerk opens an application: the applicant's ID is
    masked"; path parameters are filled from the ids the list operations return.
    """
    from onething.accounts.models import User

    others = set(User.objects.exclude(id_number="").values_list("id_number", flat=True))
    own = "110101199003074477"
    staff = make_user(
        "id-reader-staff",
        roles=[("platform_admin", {})],
        is_staff=True,
        id_number=own if validate_id_number(own) is None else "",
    )
    client = Client(HTTP_AUTHORIZATION=token_for(staff))
    operations = [(p, o) for p, m, o in _operations(client) if m == "get"]
    seen_ids: dict[str, set[str]] = {}
    leaks = []

    def scan(url, response):
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("application/json"):
            return
        text = response.content.decode("utf-8", "replace")
        found = unmasked_ids(text, allowed={own})
        if found:
            leaks.append(f"GET {url}: {sorted(found)}（其中演示用户的号码：{sorted(found & others)}）")
        for key, value in re.findall(r'"(id|pk|number|code|reference)"\s*:\s*"?([\w-]{1,64})"?', text):
            seen_ids.setdefault(key, set()).add(value)

    for path, _operation in operations:
        if "{" not in path:
            scan(path, client.get(path))
    for path, _operation in operations:
        if "{" in path:
            for value in sorted(set().union(*seen_ids.values()) if seen_ids else {"1"})[:20]:
                url = re.sub(r"\{[^}]+\}", value, path)
                scan(url, client.get(url))
    assert not leaks, "工作人员看到了他人未脱敏的公民身份号码：\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_staff_see_the_applicant_id_masked_in_an_application(demo, token_for):
    """A citizen applies; every staff member who can open the application sees IDs masked."""
    from onething.accounts.models import User

    cases_conftest = pytest.importorskip("onething.cases.tests.conftest")
    from onething.cases import intake

    bundle, answers = cases_conftest.BUNDLE, cases_conftest.ANSWERS
    asked = {f.element for f in intake.load_plan("bundle", bundle, answers).form}
    form = {k: v for k, v in intake.flatten(cases_conftest.FORM).items() if k in asked}
    applicant = User.objects.get(username="zhangsan")
    client = Client()
    created = client.post(
        "/api/v1/applications",
        json.dumps({"bundle": bundle, "answers": answers, "form": form}),
        content_type="application/json",
        HTTP_AUTHORIZATION=token_for(applicant),
        HTTP_IDEMPOTENCY_KEY="masking-probe-1",
    )
    assert created.status_code == 201, created.content.decode()[:500]
    number = created.json()["number"]
    own = client.get(f"/api/v1/applications/{number}", HTTP_AUTHORIZATION=token_for(applicant))
    assert own.status_code == 200
    personal = unmasked_ids(json.dumps(form)) | {applicant.id_number}
    opened = []
    leaks = []
    for staff in User.objects.filter(staff_roles__isnull=False).distinct().order_by("username"):
        response = client.get(f"/api/v1/applications/{number}", HTTP_AUTHORIZATION=token_for(staff))
        if response.status_code != 200:
            continue
        opened.append(staff.username)
        found = unmasked_ids(response.content.decode("utf-8"), allowed={staff.id_number} - {""}) & personal
        if found:
            leaks.append(f"{staff.username}: {sorted(found)}")
    assert opened, "没有任何工作人员能打开该办件，无法检验脱敏"
    assert not leaks, f"工作人员看到了申请人未脱敏的公民身份号码（办件 {number}）：{leaks}"
