"""Identity and access: bearer tokens, session login, password hashing, lockout, real-name
validation, masking of personal numbers and staff-role scopes.

Mobile apps and other provinces authenticate with bearer tokens; a leaked database must not
leak usable tokens or passwords, and a personal ID number must never reach a log in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings

from onething.accounts.masking import id_for_viewer, mask_text, phone_for_viewer, text_for
from onething.accounts.models import ApiToken, Enterprise, StaffRole, User

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
PASSWORD = "a-long-test-password-9"


def _me(client, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/api/v1/accounts/me", **headers)


# ------------------------------------------------------------------ bearer tokens


def test_token_create_prints_a_token_that_authenticates(client, make_user, capsys):
    make_user("alice", real_name="爱丽丝", id_number=ID_NUMBER)
    onething("token", "create", "alice", "--name", "mobile")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("ot_")
    response = _me(client, raw)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["id_number"] == ID_NUMBER  # the owner sees their own number


def test_only_the_sha256_of_a_token_is_stored(make_user):
    token, raw = ApiToken.issue(make_user("bob"))
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["key_hash"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {str(v) for v in stored.values()}
    assert stored["hint"] == raw[:10]


def test_revoked_token_fails_with_401_in_the_error_shape(client, make_user):
    _, raw = ApiToken.issue(make_user("carol"))
    assert _me(client, raw).status_code == 200
    out = io.StringIO()
    call_command("token", "revoke", raw[:10], stdout=out)
    assert "已吊销 1 个令牌" in out.getvalue()
    response = _me(client, raw)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthenticated" and error["message"]


@pytest.mark.parametrize("token", ["ot_not-a-real-token", "not-even-prefixed", "ot_" + "x" * 300])
def test_unknown_tokens_are_refused(client, token):
    assert _me(client, token).status_code == 401


def test_anonymous_request_is_401(client):
    response = _me(client)
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"code", "message", "field"}


def test_inactive_users_token_is_refused(client, make_user):
    user = make_user("dave")
    _, raw = ApiToken.issue(user)
    user.is_active = False
    user.save()
    assert _me(client, raw).status_code == 401


def test_token_command_errors_and_listing(make_user):
    make_user("erin")
    call_command("token", "create", "erin", "--name", "ci", stdout=io.StringIO())
    out = io.StringIO()
    call_command("token", "list", "erin", stdout=out)
    assert "ci" in out.getvalue() and "有效" in out.getvalue()
    with pytest.raises(CommandError, match="用户 nobody 不存在"):
        call_command("token", "create", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="没有前缀为 ot_zzzzzzz 的有效令牌"):
        call_command("token", "revoke", "ot_zzzzzzz", stdout=io.StringIO())


def test_token_last_used_is_recorded(client, make_user):
    token, raw = ApiToken.issue(make_user("frank"))
    assert token.last_used_at is None
    _me(client, raw)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(make_user):
    """Read back from the hand-written join on both backends (SQLite returns it as text)."""
    token, raw = ApiToken.issue(make_user("frank2"))
    assert ApiToken.authenticate(raw).username == "frank2"
    token.refresh_from_db()
    first = token.last_used_at
    assert ApiToken.authenticate(raw) is not None
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    assert ApiToken.authenticate(raw) is not None
    token.refresh_from_db()
    assert token.last_used_at > first - dt.timedelta(minutes=2)


def test_inactive_users_and_revoked_tokens_do_not_authenticate(make_user):
    user = make_user("frank3")
    token, raw = ApiToken.issue(user)
    assert ApiToken.authenticate(raw) == user
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ApiToken.authenticate(raw) is None
    User.objects.filter(pk=user.pk).update(is_active=True)
    token.revoke()
    assert ApiToken.authenticate(raw) is None
    assert ApiToken.authenticate("ot_" + "x" * 40) is None


# ------------------------------------------------------------------ session login, passwords, lockout


def test_session_login_works_for_the_api(client, make_user):
    make_user("grace", password=PASSWORD)
    response = client.post("/login/", {"username": "grace", "password": PASSWORD})
    assert response.status_code == 302
    assert _me(client).json()["username"] == "grace"


def test_passwords_are_hashed_with_argon2(make_user):
    user = make_user("heidi", password=PASSWORD)
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_lock_the_account(client, make_user):
    make_user("ivan", password=PASSWORD)
    for _ in range(3):
        response = client.post("/login/", {"username": "ivan", "password": "wrong"})
    assert response.status_code in (403, 429)
    # even the right password is refused while locked out
    response = client.post("/login/", {"username": "ivan", "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert _me(client).status_code == 401


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failures_below_the_limit_do_not_lock(client, make_user):
    make_user("judy", password=PASSWORD)
    for _ in range(2):
        assert client.post("/login/", {"username": "judy", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "judy", "password": PASSWORD}).status_code == 302


# ------------------------------------------------------------------ real-name validation


def test_user_id_number_is_validated():
    User(username="u1", id_number=ID_NUMBER).clean()
    User(username="u2").clean()  # blank is allowed (staff accounts)
    with pytest.raises(ValidationError) as exc:
        User(username="u3", id_number="110105194912310021").clean()
    assert exc.value.message_dict == {"id_number": ["公民身份号码校验码错误"]}


def test_enterprise_uscc_is_validated():
    Enterprise(uscc="91350100M000100Y43", name="某公司").clean()
    with pytest.raises(ValidationError) as exc:
        Enterprise(uscc="91350100M000100Y4I", name="某公司").clean()
    assert exc.value.message_dict == {"uscc": ["统一社会信用代码含有不允许的字符：I"]}


# ------------------------------------------------------------------ masking


def test_id_and_phone_are_masked_for_anyone_but_the_owner(make_user):
    owner, other = make_user("kim"), make_user("lee")
    assert id_for_viewer(ID_NUMBER, owner, owner) == ID_NUMBER
    assert id_for_viewer(ID_NUMBER, other, owner) == "1101**********002X"
    assert id_for_viewer(ID_NUMBER, None, owner) == "1101**********002X"
    assert phone_for_viewer("13812345678", owner, owner) == "13812345678"
    assert phone_for_viewer("13812345678", other, owner) == "138****5678"


def test_mask_text_masks_personal_numbers_not_longer_tokens():
    text = f"申请人 {ID_NUMBER} 电话 13812345678 卡号 6222 0202 0011 2233 445 订单 9{ID_NUMBER}"
    assert mask_text(text) == (
        f"申请人 1101**********002X 电话 138****5678 卡号 6222 **** **** ***3 445 订单 9{ID_NUMBER}"
    )


def test_text_for_shows_the_owner_everything_and_masks_for_anyone_else():
    text = f"补正：请核对 {ID_NUMBER}（办件 430602-20261121-000123）"
    assert text_for(text, owner=True) == text
    assert text_for(text, owner=False) == "补正：请核对 1101**********002X（办件 430602-20261121-000123）"


def test_id_numbers_logged_through_the_onething_logger_come_out_masked():
    """The console handler configured in settings carries the masking filter."""
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "filters", None)]
    handler = next(
        h for h in handlers if any(type(f).__name__ == "MaskPersonalNumbersFilter" for f in h.filters)
    )
    stream = io.StringIO()
    previous, handler.stream = handler.stream, stream
    try:
        logging.getLogger("onething.cases").warning("受理申请人 %s 的申请", ID_NUMBER)
    finally:
        handler.stream = previous
    output = stream.getvalue()
    assert "受理申请人 1101**********002X 的申请" in output
    assert ID_NUMBER not in output


# ------------------------------------------------------------------ staff roles


@pytest.mark.parametrize(
    ("role", "field"),
    [
        (StaffRole.WINDOW_CLERK, "hall"),
        (StaffRole.APPROVER, "department"),
        (StaffRole.DEPARTMENT_ADMIN, "department"),
        (StaffRole.SUPERVISOR, "region"),
    ],
)
def test_scoped_roles_need_their_scope(make_user, role, field):
    with pytest.raises(ValidationError) as exc:
        StaffRole(user=make_user(f"r-{role}"), role=role).clean()
    assert list(exc.value.message_dict) == [field]


def test_platform_admin_needs_no_scope_and_roles_are_listed(make_user, demo):
    user = make_user("plat", roles=[(StaffRole.PLATFORM_ADMIN, {})])
    StaffRole(user=user, role=StaffRole.PLATFORM_ADMIN).clean()
    assert user.has_role(StaffRole.PLATFORM_ADMIN) and not user.has_role(StaffRole.APPROVER)
    assert str(user.roles()[0]) == "系统管理员 · 全省"


def test_approver_with_department_is_valid_and_shown_in_me(client, make_user, demo):
    from onething.directory.models import Department

    department = Department.objects.order_by("code").first()
    user = make_user("appr", roles=[(StaffRole.APPROVER, {"department": department})])
    StaffRole.objects.get(user=user).clean()
    _, raw = ApiToken.issue(user)
    roles = _me(client, raw).json()["roles"]
    assert roles == [
        {
            "role": "approver",
            "role_name": "审批人员",
            "region": None,
            "department": department.code,
            "hall": None,
        }
    ]


def onething(*argv: str) -> None:
    """Run a command as the ``onething`` console script does (dashed name, exit status on error).

    ``onething.cli`` sits above the apps in the import layers, so tests repeat its one rule.
    A real command closes every database connection when it ends; here that connection
    carries the test's transaction, so it is kept open.
    """
    from unittest import mock

    from django.core.management import execute_from_command_line
    from django.db import connections

    with mock.patch.object(connections, "close_all"):
        execute_from_command_line(["onething", argv[0].replace("-", "_"), *argv[1:]])
