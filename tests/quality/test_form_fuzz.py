"""Web-form fuzzing: every form of every role, posted with bad values.

Each form — the citizen's apply page (self, enterprise, 帮办代办), the window intake, every
action of the case page (application and sub-case events, the upload), the post-check and
延期 decisions, the login — is posted the way a browser does (a page is fetched first, its
CSRF token goes back as ``csrfmiddlewaretoken``) on a fresh case in the state the form needs,
with fields replaced by what an attacker sends: NUL and other control characters, lone
surrogates (as the invalid UTF-8 ``%ED%A0%80``), over-long values, non-ASCII digits
(``٣ ３ ²``) and ``1_000`` for whole numbers, impossible dates (``9999-12-31``, ``0001-01-01``,
garbage), 10 000 values for a multi-value field, empty and missing values, broken files and
file names. First a sweep tries the usual suspects in every input, one at a time (every run,
whatever the example count), then random combinations of one to three inputs. GET forms
(search, browse, guides, the apply questions) and every page route get the same values in
their query parameters and path segments.

A run fails on:

* any 5xx (the view's exception, with its traceback, and what was sent);
* a refused request that wrote something: after a 4xx, or a redirect that flashed an error
  (and no success), the rows of every case table (applications, sub-cases, materials,
  notices, 补正, 告知承诺, 延期, inspections, post-checks, special procedures, deliveries,
  audit records, notifications — after-commit work included) and the state of the case
  acted on must be as before; a GET must never write.

Every example runs in a savepoint that is rolled back (each finds its case fresh). Bounded
and derandomized: ``ONETHING_FUZZ_EXAMPLES`` examples per form (CI: 25 on SQLite, 10 on
PostgreSQL). Run alone: ``pytest tests/quality/test_form_fuzz.py -m slow``.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client, TestCase
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.quality import fuzz_support as bad

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MAX_EXAMPLES = int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "25"))
POOL_SIZE = 3
LOGIN_PASSWORD = "fuzz-login-password"


@pytest.fixture
def cases(demo, fast_passwords, uploads):
    return bad.Cases()


# ------------------------------------------------------------------------------- fields


@dataclass
class Field:
    """One input of a form: its valid value(s) and what kind of input it is."""

    kind: str  # text, line, int, date, choice, list, file, hidden
    valid: object = ""
    max_length: int | None = None


def text(valid="已核对", max_length=2000):
    return Field("text", valid, max_length)


def line(valid, max_length=100):
    return Field("line", valid, max_length)


def choice(valid):
    return Field("choice", valid, 40)


def hidden(valid):
    return Field("hidden", valid, 64)


def date_field(days_ahead=7):
    return Field("date", str(timezone.localdate() + dt.timedelta(days=days_ahead)))


def values(items):
    return Field("list", list(items), 64)


def upload():
    return Field("file", ("scan.pdf", None))


def _bad_files():
    pdf = bad.tiny_pdf()
    contents = st.sampled_from(
        [
            b"",
            b"MZ\x90\x00\x03\x00\x00\x00",  # a program
            b"%PDF-1.4\n" + b"0" * 64,  # a PDF that does not parse
            pdf[: len(pdf) // 2],  # a truncated PDF
            pdf + b"<script>alert(1)</script>",  # data after %%EOF
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # a PNG cut after its header
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",  # a JPEG cut short
        ]
    )
    names = st.one_of(st.just("scan.pdf"), bad.nasty_text("scan.pdf", 200))
    good_content_bad_name = st.tuples(bad.nasty_text("scan.pdf", 200), st.just(pdf))
    return st.one_of(st.tuples(names, contents), good_content_bad_name)


def bad_value(spec: Field) -> st.SearchStrategy:
    """A bad value for one input (``None``: leave the input out)."""
    missing = st.sampled_from([None, ""])
    if spec.kind == "file":
        return st.one_of(_bad_files(), st.just(None))
    if spec.kind == "list":
        item = spec.valid[0] if spec.valid else "birth-certificate"
        return st.one_of(
            st.lists(bad.nasty_text(item, spec.max_length), min_size=1, max_size=3).map(
                lambda v: [*spec.valid, *v]
            ),
            st.integers(1001, 10_000).map(lambda n: [item] * n),  # 10 000 values of one field
            st.just([]),
        )
    base = str(spec.valid)
    options = [bad.nasty_text(base, spec.max_length), missing]
    if spec.kind == "int":
        options.append(bad.nasty_integer_text())
    if spec.kind == "date":
        options.append(st.sampled_from(bad.BAD_DATES))
    if spec.kind in ("choice", "hidden"):
        options.append(st.sampled_from(["x", "approve ", "APPROVED", "true", "1", "0", "-1", "null"]))
    return st.one_of(*options)


# ------------------------------------------------------------------------------- posting


def _encode(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def multipart(pairs: list[tuple[str, object]]) -> tuple[bytes, str]:
    """A multipart body, byte for byte (a lone surrogate goes out as invalid UTF-8)."""
    boundary = "fuzz" + secrets.token_hex(8)
    out = []
    for name, value in pairs:
        out.append(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, content = value
            out.append(b'Content-Disposition: form-data; name="' + _encode(name) + b'"; filename="')
            out.append(_encode(filename) + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content)
        else:
            out.append(
                b'Content-Disposition: form-data; name="' + _encode(name) + b'"\r\n\r\n' + _encode(value)
            )
        out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{bad.percent(k)}={bad.percent(v)}" for k, v in pairs).encode()


@dataclass
class Browser:
    """A signed-in (or anonymous) browser with a CSRF cookie and the token of a fetched page."""

    client: Client
    token: str = ""
    cookies: object = None

    def open(self, page: str) -> None:
        response = self.client.get(page)
        assert response.status_code == 200, f"{page}：{response.status_code}"
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
        self.token = found.group(1) if found else self.client.cookies["csrftoken"].value
        self.cookies = copy.deepcopy(self.client.cookies)

    def post(self, url: str, pairs: list[tuple[str, object]], as_multipart: bool):
        # the cookies as after the page was fetched: no messages left from the last example,
        # the session and CSRF cookie as they were (a login rotates both)
        self.client.cookies = copy.deepcopy(self.cookies)
        pairs = [("csrfmiddlewaretoken", self.token), *pairs]
        if as_multipart or any(isinstance(v, tuple) for _, v in pairs):
            body, content_type = multipart(pairs)
        else:
            body, content_type = urlencoded(pairs), "application/x-www-form-urlencoded"
        return self.client.generic("POST", url, body, content_type=content_type)


def browser_for(user, cache: dict) -> Browser:
    key = user.username if user is not None else ""
    if key not in cache:
        client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) fuzz")
        if user is not None:
            client.force_login(user)
        cache[key] = Browser(client)
    return cache[key]


# ------------------------------------------------------------------------------- refused?


def flashed(response) -> set[str]:
    from django.contrib import messages

    return {m.level_tag for m in messages.get_messages(response.wsgi_request)}


def refused(response, login: bool = False) -> bool:
    """4xx, or a redirect that flashed an error and no success (an upload that failed after
    the application was created flashes both: the application stands)."""
    if 400 <= response.status_code < 500:
        return True
    if response.status_code in (301, 302, 303):
        levels = flashed(response)
        return "error" in levels and "success" not in levels
    return login and response.status_code == 200  # the login page again: not signed in


def case_state(entry: dict) -> tuple:
    """What an action may change on the case it acts on (beyond new rows)."""
    from onething.cases.models import Application, Extension, PostCheck

    app = entry.get("app")
    if app is None:
        return ()
    row = Application.objects.filter(pk=app.pk).values_list("status", "updated_at", "reason").first()
    subs = tuple(app.subcases.order_by("position").values_list("status", "handler_id", "due_date"))
    exts = tuple(Extension.objects.filter(subcase__application=app).order_by("pk").values_list("status"))
    checks = tuple(PostCheck.objects.filter(subcase__application=app).order_by("pk").values_list("status"))
    return (row, subs, exts, checks)


def _differences(before: dict, after: dict) -> str:
    return "、".join(f"{k} {before[k]}→{after[k]}" for k in before if before[k] != after[k])


# ------------------------------------------------------------------------------- the forms


@dataclass
class Form:
    name: str
    state: str  # which fresh case it needs (see _entry)
    who: str  # applicant, clerk, approver, supervisor, anonymous
    page: Callable[[dict], str]
    url: Callable[[dict], str]
    fields: Callable[[dict], dict[str, Field]]
    multipart: bool = False


def act(event: str, state: str, who: str, fields: Callable[[dict], dict[str, Field]], sub: bool = False):
    def all_fields(entry):
        out = {"sub": hidden(entry["sub"].number)} if sub else {}
        return {**out, **fields(entry)}

    return Form(
        f"act-{event}" + ("-supervisor" if who == "supervisor" else ""),
        state,
        who,
        page=lambda e: f"/cases/{e['app'].number}/",
        url=lambda e: f"/cases/{e['app'].number}/act/{event}/",
        fields=all_fields,
        multipart=event == "upload",
    )


def _lines(entry) -> list[dict]:
    return [m for m in entry["app"].plan.get("materials", []) if not m.get("exempt")]


def _gaps(entry) -> dict[str, Field]:
    from onething.cases.lifecycle import KEY_MATERIAL_KINDS

    key = [m["material"] for m in _lines(entry) if m.get("kind") in KEY_MATERIAL_KINDS]
    gaps = [m["material"] for m in _lines(entry) if m["material"] not in key]
    return {"gaps": values(gaps), "commitment_date": date_field(), "received": values(key), "reason": text()}


def _apply_fields(entry) -> dict[str, Field]:
    from onething.cases import intake

    kind, code, answers = entry["kind"], entry["code"], entry["answers"]
    plan = intake.load_plan(kind, code, answers)
    form = bad.form_for(kind, code, answers)
    out: dict[str, Field] = {"idempotency_key": hidden(secrets.token_hex(16))}
    for qid, value in answers.items():
        out[f"a.{qid}"] = choice("true" if value is True else "false" if value is False else str(value))
    for f in plan.form:
        kinds = {"date": "date", "integer": "int", "choice": "choice", "text": "text"}
        limit = {"address": 300, "text": 4000}.get(f.type, 200)
        out[f"f.{f.element}"] = Field(kinds.get(f.type, "line"), form[f.element], limit)
    for line_ in plan.materials:
        if not line_.exempt:
            out[f"m.{line_.material}"] = upload()
    mode = entry.get("mode")
    if mode is not None:
        out["mode"] = choice(mode)
    if mode == "enterprise":
        out["enterprise"] = line(bad.ENTERPRISE, 18)
    if mode == "agent" or entry.get("window"):
        out.update(
            applicant_name=line("李四", 100),
            applicant_id_number=line("430626198805052012", 18),
            applicant_phone=line("13800000002", 20),
        )
    if mode == "agent":
        out["authorisation_document"] = line("授权委托书（2026）第1号", 200)
    if entry.get("window"):
        out["received"] = values([m.material for m in plan.materials if not m.exempt][:2])
    else:
        out["delivery_method"] = choice("mail")
        out["delivery_address"] = line("岳阳市岳阳楼区洞庭路1号", 300)
    return out


def _draft_fields(entry) -> dict[str, Field]:
    """保存草稿: what was typed so far (every field may be empty) and any files chosen."""
    return {**_apply_fields(entry), "action": choice("save_draft")}


def _apply_url(entry) -> str:
    prefix = "/cases/window/new" if entry.get("window") else "/cases/apply"
    return f"{prefix}/{entry['kind']}/{entry['code']}/"


def _apply_page(entry) -> str:
    query = "&".join(
        f"a.{k}={'true' if v is True else 'false' if v is False else v}" for k, v in entry["answers"].items()
    )
    return f"{_apply_url(entry)}?{query}" if query else _apply_url(entry)


FORMS = [
    Form("apply", "apply", "applicant", _apply_page, _apply_url, _apply_fields, multipart=True),
    Form("apply-save-draft", "apply", "applicant", _apply_page, _apply_url, _draft_fields, multipart=True),
    Form("window-intake", "window", "clerk", _apply_page, _apply_url, _apply_fields, multipart=True),
    Form(
        "window-find",
        "submitted",
        "clerk",
        page=lambda e: "/cases/window/",
        url=lambda e: "/cases/window/",
        fields=lambda e: {"q": line(e["app"].number, 60)},
    ),
    Form(
        "decide-with-result",
        "in_review",
        "approver",
        page=lambda e: f"/cases/{e['app'].number}/",
        url=lambda e: f"/cases/{e['app'].number}/decide/",
        fields=lambda e: {
            "sub": hidden(e["sub"].number),
            "decision": choice("approved"),
            "reasons": text("符合法定条件", 4000),
            "result": upload(),
        },
        multipart=True,
    ),
    Form(
        "supervise",
        "in_review",
        "supervisor",
        page=lambda e: "/cases/supervisor/",
        url=lambda e: f"/cases/supervisor/supervise/{e['sub'].number}/",
        fields=lambda e: {
            "note": text("请于三个工作日内办结", 2000),
            "level": choice(""),
            "department": choice(""),
        },
    ),
    Form(
        "register-send-code",
        "login",
        "anonymous",
        page=lambda e: "/register/",
        url=lambda e: "/register/",
        fields=lambda e: {
            "real_name": line("赵小岳", 50),
            "id_number": line("43060219960808123X", 18),
            "phone": line("13912345603", 20),
            "action": choice("send_code"),
        },
    ),
    Form(
        "login",
        "login",
        "anonymous",
        page=lambda e: "/login/",
        url=lambda e: "/login/",
        fields=lambda e: {
            "username": line(e["username"], 150),
            "password": line(LOGIN_PASSWORD, 128),
            "next": line("/cases/", 300),
        },
    ),
    act("pre_review", "submitted", "clerk", lambda e: {"reason": text()}),
    act(
        "accept",
        "complete",
        "clerk",
        lambda e: {"reason": text(), "received": values([]), "on_the_spot": choice("1")},
    ),
    act("accept_with_gaps", "submitted", "clerk", _gaps),
    act(
        "accept_on_commitment",
        "complete",
        "clerk",
        lambda e: {"commitment_text": text("本人承诺所填信息真实", 4000), "signed_by_name": line("张三")},
    ),
    act(
        "request_correction",
        "submitted",
        "clerk",
        lambda e: {"items": text("补充出生医学证明复印件\n身份证正反面", 200), "reason": text("材料不清晰")},
    ),
    act("reject", "submitted", "clerk", lambda e: {"reason": text("不属于本大厅受理范围")}),
    act("resubmit", "correction", "applicant", lambda e: {"reason": text()}),
    act("withdraw", "submitted", "applicant", lambda e: {"reason": text("不再需要")}),
    act(
        "schedule_inspection",
        "inspection_due",
        "clerk",
        lambda e: {"on": date_field(3), "location": line("岳阳楼区洞庭路1号经营场所", 300)},
    ),
    act(
        "record_inspection",
        "inspection_scheduled",
        "clerk",
        lambda e: {"result": choice("passed"), "findings": text("场所布局符合要求", 4000)},
    ),
    act("result_ready", "decided", "clerk", lambda e: {"method": choice("mail")}),
    act(
        "deliver",
        "result_ready",
        "clerk",
        lambda e: {
            "method": choice("mail"),
            "tracking_number": line("SF1234567890", 60),
            "address": line("岳阳市岳阳楼区洞庭路1号", 300),
        },
    ),
    act("close", "closable", "clerk", lambda e: {"reason": text()}),
    act(
        "upload",
        "submitted",
        "applicant",
        lambda e: {"material": choice(_lines(e)[0]["material"]), "file": upload()},
    ),
    act("start_review", "in_review", "approver", lambda e: {}, sub=True),
    act(
        "decide",
        "in_review",
        "approver",
        lambda e: {"decision": choice("refused"), "reasons": text("不符合法定条件", 4000)},
        sub=True,
    ),
    act(
        "start_special_procedure",
        "in_review",
        "approver",
        lambda e: {"kind": choice("hearing"), "reason": text("需要举行听证")},
        sub=True,
    ),
    act("end_special_procedure", "special", "approver", lambda e: {}, sub=True),
    act(
        "extend",
        "in_review",
        "approver",
        lambda e: {"days": Field("int", "2"), "reason": text("需调取外地档案")},
        sub=True,
    ),
    act(
        "extend",
        "in_review",
        "supervisor",
        lambda e: {"days": Field("int", "2"), "reason": text("专项督办")},
        sub=True,
    ),
    Form(
        "post-check",
        "post_check",
        "approver",
        page=lambda e: "/cases/post-checks/",
        url=lambda e: f"/cases/post-checks/{e['sub'].number}/",
        fields=lambda e: {"outcome": choice("failed"), "result": text("现场核查发现承诺不实", 4000)},
    ),
    Form(
        "extension-decision",
        "pending_extension",
        "supervisor",
        page=lambda e: "/cases/supervisor/",
        url=lambda e: f"/cases/supervisor/extensions/{e['ext'].pk}/",
        fields=lambda e: {"decision": choice(e["decision"]), "reason": text("时限内可以办结")},
    ),
]


def _entry(state: str, variant: int, cases: bad.Cases, make_user) -> dict:
    """One fresh object for a form: the case (application, sub-case, 延期 request) it acts on."""
    from onething.cases.tests.conftest import ANSWERS, ANSWERS_LOCAL

    if state == "apply":
        return [
            {"who": "zhangsan", "kind": "bundle", "code": bad.BUNDLE, "answers": ANSWERS, "mode": "self"},
            {
                "who": "zhangsan",
                "kind": "bundle",
                "code": bad.BUNDLE,
                "answers": ANSWERS_LOCAL,
                "mode": "agent",
            },
            {"who": "lisi", "kind": "item", "code": bad.INSPECTED_ITEM, "answers": {}, "mode": "enterprise"},
        ][variant % 3]
    if state == "window":
        return [
            {"kind": "bundle", "code": bad.BUNDLE, "answers": ANSWERS, "window": True},
            {"kind": "item", "code": bad.INSPECTED_ITEM, "answers": {}, "window": True},
        ][variant % 2]
    if state == "login":
        if variant == 0:
            make_user("fuzz-login", password=LOGIN_PASSWORD)
        return {"username": "fuzz-login"}
    app, sub, ext = cases.in_state(state, variant)
    if ext is not None:
        return {"app": app, "sub": sub, "ext": ext, "decision": ["refuse", "approve"][variant % 2]}
    return {"app": app, "sub": sub}


def user_for(form: Form, entry: dict, cases: bad.Cases):
    from onething.accounts.models import User

    if form.who == "anonymous":
        return None
    if form.who == "applicant":
        return User.objects.get(username=entry["who"]) if "who" in entry else entry["app"].submitted_by
    if form.who == "clerk":
        return cases.clerk
    if form.who == "supervisor":
        return cases.supervisor
    return cases.approver_of(entry["sub"])


def send(browser: Browser, url: str, pairs, as_multipart: bool, entry: dict, notes: list[str], login=False):
    """Post (in a savepoint, after-commit work run, all rolled back) and check the answer."""
    with bad.rolled_back():
        before, state = bad.case_rows(), case_state(entry)
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                response = browser.post(url, pairs, as_multipart)
        except Exception as exc:
            exc.add_note(f"POST {url}")
            for note in notes:
                exc.add_note(note)
            raise
        sent = f"POST {url}\n" + "\n".join(notes)
        assert response.status_code < 500, f"{response.status_code}：\n{sent}"
        if refused(response, login=login):
            after = bad.case_rows()
            assert after == before, (
                f"被拒绝的请求（{response.status_code}）写入了数据：{_differences(before, after)}\n{sent}"
            )
            assert case_state(entry) == state, f"被拒绝的请求（{response.status_code}）改变了办件状态\n{sent}"


def sweep_values(spec: Field) -> list:
    """What every run tries in every input: NUL, ten times the limit; for whole numbers ``²``,
    ``٣``, ``３`` and 10^20; impossible dates; 10 000 values; a NUL or a huge file name, a
    program."""
    if spec.kind == "file":
        return [
            ("scan\x00.pdf", bad.tiny_pdf()),
            (bad.long_text("扫描件", bad.LONG), bad.tiny_pdf()),
            ("a.pdf", b"MZ\x90"),
        ]
    if spec.kind == "list":
        return [[*spec.valid, "\x00"], [spec.valid[0] if spec.valid else "x"] * 10_000]
    valid = str(spec.valid)
    out = [
        bad.with_character(valid, "\x00"),
        bad.long_text(valid, 10 * (spec.max_length or 1000)),
    ]
    if spec.kind == "int":
        out += ["²", "٣", "３", "100000000000000000000"]
    if spec.kind == "date":
        out += ["9999-12-31", "0001-01-01", "明天"]
    return out


def pairs_for(fields: dict[str, Field], changed: dict[str, object]) -> list[tuple[str, object]]:
    """The form as posted: every input valid except ``changed`` (``None``: left out)."""
    pairs: list[tuple[str, object]] = []
    for name, spec in fields.items():
        value = changed.get(name, spec.valid)
        if value is None:
            continue
        if spec.kind == "file" and value[1] is None:
            value = (value[0], bad.tiny_pdf())
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return pairs


def _failure(exc: BaseException, limit: int = 2500) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    notes = "\n".join(getattr(exc, "__notes__", []))
    return text[:limit] + ("…" if len(text) > limit else "") + "\n" + notes


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_form(form: Form, cases, make_user):
    from axes.utils import reset

    reset()
    pool = [_entry(form.state, variant, cases, make_user) for variant in range(POOL_SIZE)]
    browsers: dict = {}
    prepared = []
    for entry in pool:
        browser = browser_for(user_for(form, entry, cases), browsers)
        browser.open(form.page(entry))
        prepared.append((entry, browser, form.fields(entry)))

    # the sweep: each input of each kind of form with each of the usual suspects
    failures, seen = [], set()
    login = form.who == "anonymous"
    for entry, browser, fields in prepared:
        if frozenset(fields) in seen:
            continue
        seen.add(frozenset(fields))
        for name, spec in fields.items():
            for value in sweep_values(spec):
                notes = [f"{name} = {bad.describe(value)}"]
                try:
                    send(
                        browser,
                        form.url(entry),
                        pairs_for(fields, {name: value}),
                        form.multipart,
                        entry,
                        notes,
                        login,
                    )
                except Exception as exc:
                    failures.append(_failure(exc))
    if failures:
        pytest.fail(f"{len(failures)} 个错误：\n\n" + "\n\n".join(failures))

    @given(pick=st.sampled_from(range(len(prepared))), data=st.data())
    @bad.fuzz_settings(MAX_EXAMPLES)
    def fuzz(pick, data):
        entry, browser, fields = prepared[pick]
        names = list(fields)
        chosen = (
            data.draw(
                st.lists(st.sampled_from(names), min_size=1, max_size=min(3, len(names)), unique=True),
                label="inputs",
            )
            if names
            else []
        )
        changed = {name: data.draw(bad_value(fields[name]), label=name) for name in chosen}
        notes = [f"{name} = {bad.describe(value)}" for name, value in changed.items()]
        pairs = pairs_for(fields, changed)
        if data.draw(st.sampled_from([False, False, False, True]), label="extra input"):
            key = data.draw(bad.nasty_text("a.parents_local_hukou", 64), label="extra name")
            pairs.append((key, "true"))
            notes.append(f"extra input {bad.describe(key)}")
        as_multipart = form.multipart or data.draw(st.booleans(), label="multipart")
        send(browser, form.url(entry), pairs, as_multipart, entry, notes, login)

    fuzz()


# ------------------------------------------------------------------------------- GET forms, routes

#: pages with a bad value in a query parameter or a path segment ({v}); (who, method, template)
ROUTES = [
    ("zhangsan", "GET", "/search/?q={v}"),
    ("zhangsan", "GET", "/search/?q=%E5%87%BA%E7%94%9F&region={v}"),
    ("zhangsan", "GET", "/search/browse?theme={v}&audience={v}&region={v}"),
    ("zhangsan", "GET", "/search/browse?region={v}"),
    ("zhangsan", "GET", f"/cases/apply/bundle/{bad.BUNDLE}/?a.parents_local_hukou={{v}}"),
    ("zhangsan", "GET", f"/cases/apply/bundle/{bad.BUNDLE}/?a.{{v}}=true"),
    ("zhangsan", "GET", f"/guide/bundles/{bad.BUNDLE}/?a.parents_local_hukou={{v}}&mode={{v}}"),
    ("zhangsan", "GET", f"/guide/bundles/{bad.BUNDLE}/guide/?a.mother_insured={{v}}"),
    ("zhangsan", "GET", "/cases/verify/{v}/"),
    ("zhangsan", "GET", "/documents/verify/{v}/"),
    ("zhangsan", "GET", "/me/notifications/?unread={v}&page={v}"),
    ("zhangsan", "POST", "/me/notifications/{v}/read/"),
    ("zhangsan", "GET", "/cases/{v}/"),
    ("zhangsan", "GET", "/bundles/{v}/"),
    ("zhangsan", "GET", "/items/{v}/"),
    ("zhangsan", "GET", "/departments/{v}/"),
    ("zhangsan", "GET", "/regions/{v}/"),
    ("zhangsan", "GET", "/guide/bundles/{v}/"),
    ("zhangsan", "GET", "/guide/items/{v}/guide/"),
    ("zhangsan", "GET", "/cases/apply/bundle/{v}/"),
    ("zhangsan", "GET", "/cases/apply/{v}/x/"),
    ("zhangsan", "GET", "/login/?next={v}"),
    ("chuangkou", "GET", "/cases/window/new/bundle/{v}/"),
    ("chuangkou", "GET", "/cases/{v}/notices/00000000-0000-0000-0000-000000000000.pdf"),
    ("chuangkou", "POST", "/cases/{v}/act/accept/"),
    ("chuangkou", "POST", "/cases/{number}/act/{v}/"),
    ("shenpi_weijian", "GET", "/cases/post-checks/?status={v}"),
    ("shenpi_weijian", "POST", "/cases/post-checks/{v}/"),
]


def test_pages(cases):
    """Bad values in query parameters and path segments of every page (GET forms included):
    no 5xx, and a GET never writes."""
    from onething.accounts.models import User

    number = cases.submitted().number
    browsers: dict = {}
    for who in {w for w, _, _ in ROUTES}:
        browser_for(User.objects.get(username=who), browsers).open("/cases/")

    def visit(route, value):
        who, method, template = route
        url = template.replace("{number}", number).replace("{v}", bad.percent(value))
        browser = browsers[who]
        notes = [f"{method} {template} with {{v}} = {bad.describe(value)}"]
        if method == "POST":
            send(browser, url, [("reason", "x")], False, {}, notes)
            return
        with bad.rolled_back():
            before = bad.case_rows()
            browser.client.cookies = copy.deepcopy(browser.cookies)
            try:
                response = browser.client.get(url)
            except Exception as exc:
                exc.add_note(notes[0])
                raise
            assert response.status_code < 500, f"{response.status_code}：{notes[0]}"
            after = bad.case_rows()
            assert after == before, f"GET 写入了数据：{_differences(before, after)}：{notes[0]}"

    # the sweep: every route with NUL, a lone surrogate (%ED%A0%80) and 100 000 characters
    failures = []
    for route in ROUTES:
        for value in ("430600\x00", "\ud800", bad.long_text("430600", bad.LONG)):
            try:
                visit(route, value)
            except Exception as exc:
                failures.append(_failure(exc))
    if failures:
        pytest.fail(f"{len(failures)} 个错误：\n\n" + "\n\n".join(failures))

    @given(route=st.sampled_from(ROUTES), value=bad.nasty_text("430600-YJS-XSECS", 64))
    @bad.fuzz_settings(MAX_EXAMPLES)
    def fuzz(route, value):
        visit(route, value)

    fuzz()
