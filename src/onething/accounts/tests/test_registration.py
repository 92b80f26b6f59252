"""实名注册, SMS codes, 找回密码 and 修改密码: what a citizen sees and what is stored.

Codes are caught where the SMS channel would send them (``sms.OUTBOX``, the ``sms`` fixture);
after-commit callbacks run (``django_capture_on_commit_callbacks``) so the huey task that sends
them runs as it would after a real commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from onething.accounts import registration, tasks, throttle, verification
from onething.accounts.models import PhoneCode, RateEvent
from onething.accounts.tests.conftest import id_number
from onething.kernel.errors import Invalid

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

User = get_user_model()
PHONE = "13912340001"
ID = id_number("43060219950315123")
PASSWORD = "qing-shan-lv-shui-42"
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def html(response) -> str:
    return response.content.decode()


def field_error(response, field: str) -> str:
    """The error text shown at ``field`` (the element Django's aria-describedby points to)."""
    match = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', html(response))
    return match.group(1) if match else ""


def send(client, phone=PHONE, url="/register/", **fields):
    return client.post(url, {"action": "send_code", "phone": phone, **fields})


def form(code, **overrides):
    data = {
        "action": "register",
        "real_name": "王小明",
        "id_number": ID,
        "phone": PHONE,
        "code": code,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run after-commit callbacks (the code's delivery task) as a real commit would."""

    def within():
        return django_capture_on_commit_callbacks(execute=True)

    return within


# ------------------------------------------------------------------------------- the page


def test_register_page_is_chinese_with_labels_and_no_inline_code(client, demo):
    response = client.get("/register/")
    assert response.status_code == 200
    page = html(response)
    for name, label in [
        ("real_name", "姓名"),
        ("id_number", "公民身份号码"),
        ("phone", "手机号码"),
        ("code", "短信验证码"),
        ("password1", "设置密码"),
        ("password2", "确认密码"),
    ]:
        assert f'<label for="id_{name}">{label}</label>' in page
    assert "获取验证码" in page
    assert "<script>" not in page and " style=" not in page and not re.search(r"\son[a-z]+=", page)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_login_page_links_to_register_and_reset(client, demo):
    page = html(client.get("/login/?next=/cases/"))
    assert 'href="/register/?next=/cases/"' in page
    assert 'href="/password/reset/"' in page
    assert ">注册</a>" in page


# ------------------------------------------------------------------------------- the whole way


def test_registration_with_a_verified_phone_signs_in_and_lands_on_my_cases(client, demo, sms, commit):
    with commit():
        response = send(client, real_name="王小明", id_number=ID)
    assert response.status_code == 200
    assert "验证码已发送至 139****0001" in html(response)
    assert 'value="王小明"' in html(response)  # what was typed stays
    code = sms(PHONE)
    assert code is not None and len(code) == 6
    assert sms.outbox[-1][1].startswith("【一件事】验证码 ")

    response = client.post("/register/", form(code))
    assert response.status_code == 302 and response["Location"] == "/cases/"
    user = User.objects.get(username=PHONE)
    assert (user.real_name, user.id_number, user.phone) == ("王小明", ID, PHONE)
    assert user.password.startswith("argon2$") and user.check_password(PASSWORD)
    assert not user.is_staff and not user.staff_roles.exists()
    assert client.get("/cases/").status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk
    # the account logs in with the phone number as its username
    other = Client()
    assert other.post("/login/", {"username": PHONE, "password": PASSWORD}).status_code == 302


def test_registration_goes_to_next_when_given(client, demo, sms, commit):
    with commit():
        send(client)
    response = client.post("/register/", {**form(sms(PHONE)), "next": "/bundles/"})
    assert response["Location"] == "/bundles/"


def test_registration_refuses_an_unsafe_next(client, demo, sms, commit):
    with commit():
        send(client)
    response = client.post("/register/", {**form(sms(PHONE)), "next": "https://evil.example/"})
    assert response["Location"] == "/cases/"


def test_signed_in_people_are_sent_on_from_the_register_page(client, demo):
    client.force_login(User.objects.get(username="zhangsan"))
    assert client.get("/register/")["Location"] == "/cases/"


# ------------------------------------------------------------------------------- refusals at the field


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (ID[:-1] + ("0" if ID[-1] != "0" else "1"), "公民身份号码校验码错误"),
        ("43060219950315123", "公民身份号码应为18位，前17位为数字，末位为数字或X"),
        ("430602199502301234", "公民身份号码出生日期不存在"),
        ("", "请填写公民身份号码"),
    ],
)
def test_a_wrong_id_number_is_refused_at_its_field(client, demo, sms, commit, value, message):
    with commit():
        send(client)
    response = client.post("/register/", form(sms(PHONE), id_number=value))
    assert response.status_code == 200
    assert field_error(response, "id_number") == message
    assert 'aria-invalid="true"' in html(response) and "公民身份号码：" in html(
        response
    )  # the summary names it
    assert not User.objects.filter(username=PHONE).exists()


def test_a_lower_case_x_is_accepted(demo):
    value = id_number("11010519491231002")
    assert value.endswith("X")
    assert registration.check_id_number(value.lower()) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [("1391234000", "手机号码应为11位数字，以1开头"), ("23912340001", "手机号码应为11位数字，以1开头")],
)
def test_a_wrong_phone_is_refused_at_its_field_and_nothing_is_sent(client, demo, sms, commit, value, message):
    with commit():
        response = send(client, phone=value)
    assert field_error(response, "phone") == message
    assert sms.outbox == [] and not PhoneCode.objects.exists()


def test_a_phone_written_with_spaces_is_the_same_number(client, demo, sms, commit):
    with commit():
        send(client, phone="139 1234 0001")
    assert sms(PHONE) is not None


def test_a_phone_already_registered_is_refused_naming_the_phone(client, demo, sms, commit):
    taken = User.objects.get(username="zhangsan").phone
    with commit():
        response = send(client, phone=taken)
    assert field_error(response, "phone").startswith("该手机号码已注册")
    assert sms(taken) is None
    # and at registration (a code for it was got before the other account took the number)
    with commit():
        send(client)
    code = sms(PHONE)
    User.objects.create_user(username="someone", phone=PHONE)
    response = client.post("/register/", form(code))
    assert field_error(response, "phone").startswith("该手机号码已注册")


def test_an_id_number_already_registered_is_refused_naming_it(client, demo, sms, commit):
    taken = User.objects.get(username="zhangsan").id_number
    with commit():
        send(client)
    response = client.post("/register/", form(sms(PHONE), id_number=taken))
    assert field_error(response, "id_number").startswith("该公民身份号码已注册")
    assert not User.objects.filter(username=PHONE).exists()
    # the code was not used up: with the person's own number it still works
    assert client.post("/register/", form(sms(PHONE)))["Location"] == "/cases/"


@pytest.mark.parametrize(
    ("first", "second", "field", "message"),
    [
        ("short7x", "short7x", "password1", "密码太短，至少需要8个字符"),
        ("password123", "password123", "password1", "这个密码太常见了"),
        (PHONE, PHONE, "password1", "太相似"),
        (PASSWORD, PASSWORD + "x", "password2", "两次输入的密码不一致"),
    ],
)
def test_passwords_pass_djangos_validators(client, demo, sms, commit, first, second, field, message):
    with commit():
        send(client)
    response = client.post("/register/", form(sms(PHONE), password1=first, password2=second))
    assert message in field_error(response, field), field_error(response, field)
    assert not User.objects.filter(username=PHONE).exists()


def test_missing_fields_are_named(client, demo):
    response = client.post("/register/", {"action": "register"})
    for field, label in [
        ("real_name", "姓名"),
        ("phone", "手机号码"),
        ("code", "短信验证码"),
        ("password1", "设置密码"),
    ]:
        assert field_error(response, field) == f"请填写{label}"


def test_over_long_and_unstorable_input_is_a_chinese_error_never_a_500(client, demo):
    users = User.objects.count()
    response = client.post("/register/", form("123456", real_name="王" * 51))
    assert response.status_code == 200
    assert field_error(response, "real_name") == "姓名不能超过50个字符（现为51个）"
    response = client.post("/register/", form("123456", password1="x" * 129, password2="x" * 129))
    assert field_error(response, "password1") == "设置密码不能超过128个字符（现为129个）"
    response = client.post("/register/", form("12345x"))
    assert field_error(response, "code") == "短信验证码应为6位数字"
    response = client.post("/register/", form("123456", real_name="王\n小明"))
    assert field_error(response, "real_name") == "姓名不能包含换行或制表符"
    # NUL never reaches the view: the gateway answers a Chinese 400 naming the field
    response = client.post("/register/", form("123456", real_name="王\x00"))
    assert response.status_code == 400 and "含有不可见的控制字符" in html(response)
    response = client.post("/register/", form("123456", id_number="4" * 10_000))
    assert response.status_code == 200 and "不能超过18个字符" in field_error(response, "id_number")
    assert User.objects.count() == users


# ------------------------------------------------------------------------------- codes


def test_the_code_is_stored_only_as_a_keyed_hash_with_expiry(demo):
    row, code = verification.issue(PHONE, PhoneCode.Purpose.REGISTER, NOW)
    stored = PhoneCode.objects.filter(pk=row.pk).values().get()
    assert code not in {str(v) for v in stored.values()}
    assert len(stored["code_hash"]) == 64 and stored["expires_at"] == NOW + verification.TTL
    assert stored["attempts"] == 0 and stored["used_at"] is None


def test_a_code_works_once_and_not_after_it_expires(demo):
    purpose = PhoneCode.Purpose.REGISTER
    _, code = verification.issue(PHONE, purpose, NOW)
    assert verification.consume(PHONE, purpose, code, NOW + dt.timedelta(minutes=9)) is None
    assert verification.consume(PHONE, purpose, code, NOW + dt.timedelta(minutes=9)).code == "code_used"
    _, code = verification.issue(PHONE, purpose, NOW)
    refusal = verification.consume(PHONE, purpose, code, NOW + verification.TTL)
    assert refusal.code == "code_expired" and refusal.field == "code"


def test_wrong_codes_count_and_the_code_dies_after_the_attempt_limit(demo):
    purpose = PhoneCode.Purpose.RESET
    _, code = verification.issue(PHONE, purpose, NOW)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, verification.MAX_ATTEMPTS):
        refusal = verification.consume(PHONE, purpose, wrong, NOW)
        assert refusal.message == f"短信验证码不正确，还可尝试{verification.MAX_ATTEMPTS - attempt}次"
    assert verification.consume(PHONE, purpose, wrong, NOW).code == "code_exhausted"
    assert verification.consume(PHONE, purpose, code, NOW).code == "code_exhausted"  # even the right one


def test_a_new_code_replaces_the_previous_one(demo):
    purpose = PhoneCode.Purpose.REGISTER
    _, first = verification.issue(PHONE, purpose, NOW)
    _, second = verification.issue(PHONE, purpose, NOW + dt.timedelta(minutes=2))
    later = NOW + dt.timedelta(minutes=3)
    if first != second:
        assert verification.consume(PHONE, purpose, first, later).code == "code_wrong"
    assert verification.consume(PHONE, purpose, second, later) is None


def test_a_code_for_registration_does_not_reset_a_password(demo):
    _, code = verification.issue(PHONE, PhoneCode.Purpose.REGISTER, NOW)
    assert verification.consume(PHONE, PhoneCode.Purpose.RESET, code, NOW).code == "code_missing"


def test_the_code_is_sent_after_the_commit_never_in_the_request(
    client, demo, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = send(client)
    assert response.status_code == 200 and PhoneCode.objects.filter(phone=PHONE).exists()
    assert sms.outbox == []  # nothing sent while the request ran
    assert len(callbacks) == 1
    callbacks[0]()
    assert sms(PHONE) is not None
    assert PhoneCode.objects.get(phone=PHONE).sent_at is not None


def test_in_the_embedded_mode_the_code_is_written_to_the_console_log(client, demo, settings, commit, caplog):
    from huey.contrib.djhuey import HUEY

    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": ["inbox", "console"]}
    before, HUEY.immediate = HUEY.immediate, True
    try:
        with caplog.at_level(logging.INFO, logger="onething.notifications"), commit():
            response = send(client)
    finally:
        HUEY.immediate = before
    assert "演示环境未接短信网关" in html(response)
    lines = [r.getMessage() for r in caplog.records if "accounts.code.register" in r.getMessage()]
    assert len(lines) == 1
    assert re.search(r"验证码 [0-9]{6}，用于注册一件事平台账户", lines[0])
    assert "发往139****0001" in lines[0] and PHONE not in lines[0]


def test_without_a_phone_or_console_channel_the_page_says_sms_is_unavailable(client, demo, settings):
    settings.ONETHING = {**settings.ONETHING, "NOTIFICATION_BACKENDS": ["inbox"]}
    response = send(client)
    assert field_error(response, "phone").startswith("短信服务暂不可用")
    assert not PhoneCode.objects.exists()


def test_a_code_is_sent_with_the_same_message_id_on_every_retry(demo, monkeypatch):
    seen = []

    class Gateway:
        needs = "phone"

        def send(self, message):
            seen.append((message.id, message.phone, message.title))

    monkeypatch.setattr(verification, "get_backend", lambda name: Gateway())
    row, code = verification.issue(PHONE, PhoneCode.Purpose.REGISTER, NOW)
    text = verification.text_of(row, code)
    assert verification.deliver(row.pk, "sms", text, now=NOW)
    assert verification.deliver(row.pk, "sms", text, now=NOW)
    assert seen == [(-row.pk, PHONE, text)] * 2
    # an expired or used code is not sent any more
    assert not verification.deliver(row.pk, "sms", text, now=NOW + verification.TTL)
    verification.consume(PHONE, PhoneCode.Purpose.REGISTER, code, NOW)
    assert not verification.deliver(row.pk, "sms", text, now=NOW)
    assert len(seen) == 2


def test_another_code_within_a_minute_is_refused(client, demo, sms, commit):
    with commit():
        send(client)
        response = send(client)
    assert response.status_code == 429 and "秒后再重新获取" in field_error(response, "phone")
    assert len(sms.outbox) == 1


# ------------------------------------------------------------------------------- throttles


@override_settings(AXES_FAILURE_LIMIT=3)
def test_codes_are_limited_per_phone_like_logins(demo, sms):
    for n in range(3):
        registration.send_code(PHONE, "register", ip=f"203.0.113.{n}", now=NOW + dt.timedelta(minutes=2 * n))
    with pytest.raises(throttle.Throttled) as refused:
        registration.send_code(PHONE, "register", ip="203.0.113.9", now=NOW + dt.timedelta(minutes=7))
    assert refused.value.field == "phone" and refused.value.message == "获取验证码过于频繁，请8分钟后再试"
    # once the oldest falls out of the window (axes' cool-off) it may again
    registration.send_code(
        PHONE, "register", ip="203.0.113.9", now=NOW + throttle.window() + dt.timedelta(seconds=1)
    )


@override_settings(AXES_FAILURE_LIMIT=3)
def test_codes_are_limited_per_address_like_logins(client, demo, sms, commit):
    for n in range(3):
        with commit():
            assert send(client, phone=f"1391234010{n}").status_code == 200
    with commit():
        response = send(client, phone="13912340109")
    assert response.status_code == 429 and response["Retry-After"]
    assert field_error(response, "phone").startswith("获取验证码过于频繁")
    assert sms("13912340109") is None
    # another address is not affected
    with commit():
        assert send(Client(REMOTE_ADDR="198.51.100.7"), phone="13912340109").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failed_registrations_lock_like_failed_logins(client, demo, sms, commit):
    with commit():
        send(client)
    code = sms(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        response = client.post("/register/", form(wrong))
        assert response.status_code == 200 and "短信验证码不正确" in field_error(response, "code")
    response = client.post("/register/", form(code))  # even the right code, now
    assert response.status_code == 429 and "注册尝试次数过多" in html(response)
    assert not User.objects.filter(username=PHONE).exists()
    assert RateEvent.objects.filter(scope=throttle.REGISTER_PHONE).count() == 3


def test_throttle_keys_are_hashed_never_the_number(demo, sms):
    registration.send_code(PHONE, "register", ip="203.0.113.5", now=NOW)
    keys = set(RateEvent.objects.values_list("key", flat=True))
    assert len(keys) == 2 and all(len(k) == 64 and PHONE not in k and "203.0.113.5" not in k for k in keys)


def test_the_purge_task_deletes_old_codes_and_events(demo, sms):
    registration.send_code(PHONE, "register", ip="203.0.113.5", now=NOW)
    assert tasks.purge(NOW + dt.timedelta(minutes=5)) == {"codes": 0, "events": 0}
    assert tasks.purge(NOW + dt.timedelta(days=2)) == {"codes": 1, "events": 2}


# ------------------------------------------------------------------------------- 找回密码


def test_password_reset_by_phone_and_code(client, demo, sms, commit):
    user = User.objects.get(username="zhangsan")
    with commit():
        response = send(client, phone=user.phone, url="/password/reset/")
    assert "验证码已发送至 138****0001" in html(response)
    code = sms(user.phone)
    new = "dong-ting-hu-7788"
    response = client.post(
        "/password/reset/",
        {"action": "reset", "phone": user.phone, "code": code, "password1": new, "password2": new},
    )
    assert response.status_code == 302 and response["Location"] == "/login/"
    page = html(client.get("/login/"))
    assert "密码已重置。您的用户名是 zhangsan" in page
    assert Client().post("/login/", {"username": "zhangsan", "password": new}).status_code == 302
    assert Client().post("/login/", {"username": "zhangsan", "password": "onething-demo"}).status_code == 200


def test_reset_for_an_unknown_phone_answers_alike_and_sends_nothing(client, demo, sms, commit):
    with commit():
        response = send(client, phone="13912349999", url="/password/reset/")
    assert response.status_code == 200 and "如该手机号码已注册，验证码已发送至 139****9999" in html(response)
    assert sms.outbox == []
    response = client.post(
        "/password/reset/",
        {
            "action": "reset",
            "phone": "13912349999",
            "code": "123456",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert "短信验证码不正确" in field_error(response, "code")


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failed_resets_lock_and_a_reset_unlocks_the_login(client, demo, sms, commit):
    from axes.models import AccessAttempt

    user = User.objects.get(username="lisi")
    for _ in range(3):
        Client().post("/login/", {"username": "lisi", "password": "wrong"})
    assert Client().post("/login/", {"username": "lisi", "password": "onething-demo"}).status_code in (
        403,
        429,
    )
    with commit():
        send(client, phone=user.phone, url="/password/reset/")
    code = sms(user.phone)
    data = {"action": "reset", "phone": user.phone, "password1": PASSWORD, "password2": PASSWORD}
    response = client.post("/password/reset/", {**data, "code": code})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="lisi").exists()
    assert Client().post("/login/", {"username": "lisi", "password": PASSWORD}).status_code == 302
    # wrong codes: locked like a login after the limit
    with commit():
        send(Client(REMOTE_ADDR="198.51.100.8"), phone=user.phone, url="/password/reset/")
    for _ in range(3):
        client.post("/password/reset/", {**data, "code": "000000"})
    response = client.post("/password/reset/", {**data, "code": sms(user.phone)})
    assert response.status_code == 429 and "重置密码尝试次数过多" in html(response)


def test_reset_validates_the_new_password_against_the_account(client, demo, sms, commit):
    user = User.objects.get(username="zhangsan")
    with commit():
        send(client, phone=user.phone, url="/password/reset/")
    response = client.post(
        "/password/reset/",
        {
            "action": "reset",
            "phone": user.phone,
            "code": sms(user.phone),
            "password1": "zhangsan1",
            "password2": "zhangsan1",
        },
    )
    assert "太相似" in field_error(response, "password1")
    user.refresh_from_db()
    assert user.check_password("onething-demo")


# ------------------------------------------------------------------------------- 修改密码


def test_password_change_when_signed_in(client, demo):
    user = User.objects.get(username="zhangsan")
    client.force_login(user)
    page = html(client.get("/password/change/"))
    for name, label in [
        ("old_password", "原密码"),
        ("new_password1", "新密码"),
        ("new_password2", "确认新密码"),
    ]:
        assert f'<label for="id_{name}">{label}</label>' in page
    new = "yue-yang-lou-2026"
    response = client.post(
        "/password/change/", {"old_password": "wrong-one", "new_password1": new, "new_password2": new}
    )
    assert field_error(response, "old_password") == "原密码不正确，请重新输入"
    response = client.post(
        "/password/change/",
        {"old_password": "onething-demo", "new_password1": new, "new_password2": new + "x"},
    )
    assert field_error(response, "new_password2") == "两次输入的新密码不一致"
    response = client.post(
        "/password/change/",
        {"old_password": "onething-demo", "new_password1": "x" * 200, "new_password2": "x"},
    )
    assert field_error(response, "new_password1") == "新密码不能超过128个字符（现为200个）"
    response = client.post(
        "/password/change/", {"old_password": "onething-demo", "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302 and response["Location"] == "/password/change/done/"
    assert "密码已修改" in html(client.get("/password/change/done/"))  # still signed in
    user.refresh_from_db()
    assert user.check_password(new)


def test_password_change_needs_a_login(client, demo):
    response = client.get("/password/change/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/password/change/")


def test_domain_functions_check_what_they_are_given(demo):
    with pytest.raises(Invalid) as refused:
        registration.register(
            real_name=" ",
            id_number=ID,
            phone=PHONE,
            code="123456",
            password=PASSWORD,
            ip="x",
            now=timezone.now(),
        )
    assert refused.value.field == "real_name"
    with pytest.raises(Invalid) as refused:
        registration.send_code("12345", "register", ip="x", now=NOW)
    assert refused.value.field == "phone"
