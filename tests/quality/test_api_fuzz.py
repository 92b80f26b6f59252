"""API fuzzing: every operation of ``/api/v1/openapi.json`` against its own documentation.

Schemathesis reads the OpenAPI document from the running WSGI application (in process, on
pytest-django's test database with the demo catalog loaded) and, for every operation — public
and authenticated — generates requests in three modes:

* ``positive``: valid by the document;
* ``negative``: invalid by the document (wrong types, missing fields, out-of-range numbers);
* ``bad-input``, separately for the body (``-body``) and for the rest (``-url``): a valid
  request for a real case in which strings — anywhere in the body (deep: ``answers``,
  ``form``, ``authorisation``, list items, dictionary keys), in a query parameter, a header
  (``Idempotency-Key``, ``Authorization``), a path segment or an upload's file name — are
  replaced by what an attacker sends: NUL and other control characters, lone surrogates
  (JSON-escaped ``"\\ud800"`` or raw invalid UTF-8 in the body, ``%ED%A0%80`` in the URL),
  strings past the documented ``maxLength`` (just past it, ten times it, 100 000 characters),
  numbers beyond 64 bits or not ASCII (``10^20``, ``²``) and impossible dates; lists get a
  nasty item or 10 000 items. First a sweep puts NUL, a lone surrogate and ten times the
  limit into every place, one at a time (every run, whatever the example count); then
  random combinations of one to three places.

A run fails on:

* any 5xx (``not_a_server_error``);
* a body that does not match the schema documented for its status (``response_schema_conformance``);
* a status code the operation does not document (``status_code_conformance``);
* a content type the operation does not document (``content_type_conformance``);
* after-commit work (notifications) that fails on what the request stored.

Authenticated operations receive a bearer token of a staff user holding every staff role, so
the fuzzer reaches the code behind the authentication check; ``tests/security`` checks the
other side (401 without a token). Operations on a case get a pool of fresh cases in the state
the operation needs (submitted for 预审/受理, 补正 for resubmission, a sub-case in review for a
decision, a pending 延期 request, an open post-check, …) and each example picks one; every
example runs in a savepoint that is rolled back, so each finds its case as fresh as the
first. Examples are bounded (``ONETHING_FUZZ_EXAMPLES``) and derandomized so CI is stable.

Run alone: ``make fuzz`` or ``pytest tests/quality/test_api_fuzz.py -m slow``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import secrets
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import TestCase
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET, NotSet
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.quality import fuzz_support as bad

pytestmark = [pytest.mark.slow]

OPENAPI_URL = "/api/v1/openapi.json"
#: examples per operation (raise locally with ONETHING_FUZZ_EXAMPLES=500 for a deep run)
MAX_EXAMPLES = int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
#: fresh cases per operation; each example picks one (and rolls back what it did to it)
POOL_SIZE = 3
#: most bad-input examples change a fully valid request, so the bad value reaches the write
VALID_BASE = st.sampled_from([True, True, True, False])


def staff_with_every_role(make_user):
    """A user holding every staff role, scoped to the demo city (岳阳市), plus superuser rights:
    approver of every department of the city, so every sub-case of a city application is theirs."""
    from onething.accounts.models import StaffRole
    from onething.directory.models import Department, Hall, Region

    region = Region.objects.filter(code="430600").first() or Region.objects.order_by("code").first()
    departments = list(Department.objects.filter(region=region).order_by("code"))
    hall = Hall.objects.filter(region=region).order_by("code").first()
    roles = [(StaffRole.PLATFORM_ADMIN, {})]
    if region is not None:
        roles.append((StaffRole.SUPERVISOR, {"region": region}))
    roles += [(StaffRole.APPROVER, {"department": d}) for d in departments]
    if departments:
        roles.append((StaffRole.DEPARTMENT_ADMIN, {"department": departments[0]}))
    if hall is not None:
        roles.append((StaffRole.WINDOW_CLERK, {"hall": hall}))
    return make_user(
        "fuzz-staff",
        roles=roles,
        real_name="模糊测试员",
        id_number="430602199001011235",
        phone="13800000009",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests here go straight into the WSGI app, not through Django's test client, so
    ``close_old_connections`` would run at the end of each request and, once the connection
    is older than CONN_MAX_AGE, close it in the middle of the test's transaction (every later
    test on the worker then fails). Django's test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def staff(demo, make_user, fast_passwords, uploads):
    return staff_with_every_role(make_user)


@pytest.fixture
def staff_headers(staff, token_for):
    return {"Authorization": token_for(staff)}


@pytest.fixture
def cases(demo):
    return bad.Cases()


# ------------------------------------------------------------------------------- the pools

SUB = r"/applications/\{number\}/subcases/\{sub\}"
APP = r"/applications/\{number\}"
#: (method or None for any, path pattern, the state a fresh case for it is in)
STATES = (
    ("POST", r"/applications$", "create"),
    ("POST", APP + r"/pre-review$", "submitted"),
    ("POST", APP + r"/accept$", "complete"),
    ("POST", APP + r"/accept-with-gaps$", "submitted"),
    ("POST", APP + r"/accept-on-commitment$", "complete"),
    ("POST", APP + r"/reject$", "submitted"),
    ("POST", APP + r"/correction$", "submitted"),
    ("POST", APP + r"/resubmit$", "correction"),
    ("POST", APP + r"/withdraw$", "own"),
    ("POST", APP + r"/inspection$", "inspection_due"),
    ("POST", APP + r"/inspection/result$", "inspection_scheduled"),
    ("POST", APP + r"/result-ready$", "decided"),
    ("POST", APP + r"/deliver$", "result_ready"),
    ("POST", APP + r"/close$", "closable"),
    ("POST", SUB + r"/special-procedure/end$", "special"),
    ("POST", SUB + r"/post-check$", "post_check"),
    ("POST", SUB + r"/[a-z-]+$", "in_review"),  # start, decide, special-procedure, extend
    ("POST", APP + r"/materials/\{material\}$", "material"),
    ("GET", APP + r"/materials/\{material_id\}/file$", "uploaded"),
    ("GET", APP + r"/notices/\{notice_id\}\.pdf$", "notice"),
    (None, r"/extensions/\{extension_id\}", "pending_extension"),
    (None, APP, "submitted"),
    (None, r"/bundles/\{code\}", "bundle"),
    (None, r"/items/\{code\}", "item"),
)


def state_of(operation) -> str | None:
    for method, pattern, state in STATES:
        if (method is None or operation.method.upper() == method) and re.search(pattern, operation.path):
            return state
    return None


def _codes(kind: str) -> list[str]:
    from onething.catalog.models import Revision

    codes = list(
        Revision.objects.filter(kind=kind, current=True).order_by("code").values_list("code", flat=True)
    )
    first = bad.BUNDLE if kind == "bundle" else bad.INSPECTED_ITEM
    return [first, *[c for c in codes if c != first]][:POOL_SIZE] if first in codes else codes[:POOL_SIZE]


def _entry(state: str, variant: int, cases: bad.Cases, staff) -> dict:
    """One fresh object for ``state``: its path parameters and what a valid body may refer to."""
    from onething.cases.tests.conftest import ANSWERS

    if state == "create":
        return {"path": {}, "variant": variant}
    if state in ("bundle", "item"):
        codes = _codes(state)
        code = codes[variant % len(codes)] if codes else "NOPE"
        return {"path": {"code": code}, "answers": ANSWERS if code == bad.BUNDLE else {}}
    sub = None
    if state == "own":
        app = cases.submitted(variant % 2, by=staff)
    elif state == "uploaded":
        app, material = cases.uploaded(variant)
        return {"path": {"number": app.number, "material_id": material.pk}, "app": app}
    elif state == "notice":
        app = cases.accepted(variant)
        notice = app.notices.order_by("created_at").first()
        return {"path": {"number": app.number, "notice_id": str(notice.pk)}, "app": app}
    elif state == "material":
        app = cases.submitted(variant)
        materials = cases.materials(app)
        return {"path": {"number": app.number, "material": materials[variant % len(materials)]}, "app": app}
    else:
        app, sub, ext = cases.in_state(state, variant)
        if ext is not None:
            return {"path": {"extension_id": ext.pk}, "app": app, "sub": sub}
    path = {"number": app.number}
    if sub is not None:
        path["sub"] = sub.number
    return {"path": path, "app": app, "sub": sub}


def build_pool(operation, cases: bad.Cases, staff) -> list[dict]:
    state = state_of(operation)
    if state is None:
        return []
    pool = [_entry(state, variant, cases, staff) for variant in range(POOL_SIZE)]
    names = set(re.findall(r"\{(\w+)\}", operation.path))
    return [e for e in pool if set(e["path"]) == names]


# ------------------------------------------------------------------------------- valid bodies

LISI = {"name": "李四", "id_number": "430626198805052012", "phone": "13800000002"}


def _create_body(variant: int) -> dict:
    from onething.cases.tests.conftest import ANSWERS

    if variant % 4 == 3:  # an enterprise's application taken in at the window
        form = bad.form_for("item", bad.INSPECTED_ITEM, {})
        return {
            "item": bad.INSPECTED_ITEM,
            "answers": {},
            "form": form,
            "channel": "window",
            "applicant": dict(LISI),
            "enterprise": bad.ENTERPRISE,
        }
    body: dict[str, Any] = {
        "bundle": bad.BUNDLE,
        "answers": dict(ANSWERS),
        "form": bad.form_for("bundle", bad.BUNDLE, ANSWERS),
    }
    if variant % 4 == 1:
        body.update(channel="window", applicant=dict(LISI))
    elif variant % 4 == 2:
        body.update(
            channel="agent", applicant=dict(LISI), authorisation={"document": "授权委托书（2026）第1号"}
        )
    return body


def _gaps_body(entry: dict) -> dict:
    from onething.cases.lifecycle import KEY_MATERIAL_KINDS

    lines = [m for m in entry["app"].plan.get("materials", []) if not m.get("exempt")]
    key = [m["material"] for m in lines if m.get("kind") in KEY_MATERIAL_KINDS]
    return {
        "gaps": [m["material"] for m in lines if m["material"] not in key],
        "commitment_date": str(timezone.localdate() + dt.timedelta(days=7)),
        "received": key,
        "reason": "容缺受理，承诺一周内补齐",
    }


#: operation path (its end) -> a valid body for a fresh case of the operation's state
VALID_BODIES = (
    (r"/applications$", lambda e: _create_body(e["variant"])),
    (r"/(pre-review|resubmit|withdraw|close|special-procedure/end)$", lambda e: {"reason": "已核对材料"}),
    (r"/accept$", lambda e: {"reason": "材料齐全，予以受理", "received": [], "on_the_spot": False}),
    (r"/accept-with-gaps$", _gaps_body),
    (
        r"/accept-on-commitment$",
        lambda e: {"commitment_text": "本人承诺所填信息真实", "signed_by_name": "张三", "received": []},
    ),
    (r"/reject$", lambda e: {"reason": "不属于本大厅受理范围"}),
    (
        r"/correction$",
        lambda e: {"items": ["补充出生医学证明复印件", "身份证正反面"], "reason": "材料不清晰"},
    ),
    (
        r"/inspection$",
        lambda e: {
            "on": str(timezone.localdate() + dt.timedelta(days=3)),
            "location": "岳阳楼区洞庭路1号经营场所",
        },
    ),
    (r"/inspection/result$", lambda e: {"result": "passed", "findings": "场所布局符合要求"}),
    (r"/result-ready$", lambda e: {"method": "mail"}),
    (
        r"/deliver$",
        lambda e: {"method": "mail", "tracking_number": "SF1234567890", "address": "岳阳市岳阳楼区洞庭路1号"},
    ),
    (r"/decide$", lambda e: {"decision": "refused", "reasons": "不符合法定条件"}),
    (r"/special-procedure$", lambda e: {"kind": "hearing", "reason": "需要举行听证"}),
    (r"/extend$", lambda e: {"days": 2, "reason": "需调取外地档案"}),
    (r"/post-check$", lambda e: {"passed": False, "result": "现场核查发现承诺不实"}),
    (r"/refuse$", lambda e: {"reason": "时限内可以办结"}),
    (r"/plan$", lambda e: {"answers": dict(e.get("answers") or {})}),
)


def valid_body(operation, entry: dict | None) -> dict | None:
    """A valid JSON body for the operation on ``entry`` (None: no body, or none known)."""
    if not any(a.media_type == "application/json" for a in operation.body):
        return None
    for pattern, make in VALID_BODIES:
        if re.search(pattern, operation.path):
            try:
                return make(entry or {"variant": 0})
            except KeyError:  # it needs a case this request does not have
                return None
    return None


# ------------------------------------------------------------------------------- schemas

schema = schemathesis.openapi.from_wsgi(OPENAPI_URL, get_wsgi_application())
#: loaded at collection (pytest-django has configured Django; building the document needs no
#: database), so each operation becomes its own test item, e.g.
#: ``test_operation[GET /api/v1/catalog/items/{code}-positive]``, and xdist can spread them.
OPERATIONS = list(schema.get_all_operations())


def _resolve(node: Any, root: dict) -> Any:
    """Follow ``$ref`` (components or schemathesis' bundled schemas) and ``anyOf``/``allOf``
    to the object or string schema underneath."""
    for _ in range(20):
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            *parents, name = node["$ref"].lstrip("#/").split("/")
            target = root if parents and parents[0] == "x-bundled" else schema.raw_schema
            for part in parents:
                target = target.get(part, {})
            node = target.get(name, {})
            continue
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                options = [o for o in node[key] if isinstance(o, dict) and o.get("type") != "null"]
                node = options[0] if options else {}
                break
        else:
            return node
    return {}


def max_length(root: dict | None, path: tuple) -> int | None:
    """The documented ``maxLength`` of the string at ``path`` of a body, if any."""
    if not root:
        return None
    node = _resolve(root.get("schema", root), root.get("schema", root))
    base = root.get("schema", root)
    for part in path:
        if isinstance(part, int):
            node = _resolve(node.get("items", {}), base)
        else:
            props = node.get("properties", {})
            node = _resolve(props[part], base) if part in props else {}
    return node.get("maxLength")


def _parameter_max_length(parameter) -> int | None:
    return (parameter.definition.get("schema") or {}).get("maxLength")


def _parameter_type(parameter) -> str | None:
    return _resolve(parameter.definition.get("schema") or {}, {}).get("type")


# ------------------------------------------------------------------------------- bad values

BODY, URL = "body", "url"


def _leaves(value: Any, path: tuple = ()):
    """(path, kind) of every place in a JSON value a bad value can go."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), "key"
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        yield path, "list"
        for n, item in enumerate(value):
            yield from _leaves(item, (*path, n))
    elif isinstance(value, str):
        yield path, "text"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, "number"


def _get(value: Any, path: tuple) -> Any:
    for part in path:
        value = value[part]
    return value


def _is_multipart(case) -> bool:
    return bool(case.media_type and case.media_type.startswith("multipart/"))


def _body_schema(operation, case) -> dict | None:
    for alternative in operation.body:
        if alternative.media_type == case.media_type:
            return alternative.definition
    return None


def slots(operation, case, body, target: str) -> list[tuple]:
    """Where this request can carry a bad value: ("body", path, kind) and ("filename",) for the
    body; ("query", name, type), ("header", name), ("path", name, type) for the rest."""
    out: list[tuple] = []
    if target == BODY:
        if _is_multipart(case):
            return [("filename",)]
        if isinstance(body, (dict, list)):
            out += [("body", path, kind) for path, kind in _leaves(body)]
        return out
    for parameter in operation.query:
        name = parameter.name if "<" not in parameter.name else "a.parents_local_hukou"
        out.append(("query", name, _parameter_type(parameter)))
    out += [("header", parameter.name) for parameter in operation.headers]
    out += [("path", p.name, _parameter_type(p)) for p in operation.path_parameters]
    return out


class Request:
    """One bad-input request as it goes on the wire: the body (a JSON value), the query, the
    extra headers and the path segments (percent-encoded), what was changed (for the report)."""

    def __init__(self, operation, case, body):
        self.operation, self.case = operation, case
        self.body = copy.deepcopy(body)
        self.query = dict(case.query or {})
        self.headers: dict[str, str] = {}
        self.path: dict[str, str] = {}
        self.filename = "scan.pdf"
        self.notes: list[str] = []

    # -- what is there now

    def current(self, slot: tuple) -> Any:
        from urllib.parse import unquote

        where = slot[0]
        if where == "body":
            value = _get(self.body, slot[1])
            return slot[1][-1] if slot[2] == "key" else value
        if where == "query":
            value = self.query.get(slot[1], "")
            return "" if value is None else str(value)
        if where == "path":
            return unquote(str(self.case.path_parameters.get(slot[1], "")))
        if where == "header":
            return "fuzz-key"
        return self.filename

    def limit(self, slot: tuple) -> int | None:
        if slot[0] == "body" and slot[2] == "text":
            return max_length(_body_schema(self.operation, self.case), slot[1])
        return {"path": 64, "header": 100, "filename": 200}.get(slot[0])

    # -- bad values for it

    def sweep(self, slot: tuple) -> list:
        """The values every run tries: NUL, a lone surrogate, ten times the limit; numbers
        beyond 64 bits or not ASCII; 10 000 list items."""
        current, limit = self.current(slot), self.limit(slot)
        kind = slot[2] if slot[0] in ("body", "query", "path") else "text"
        if kind in ("number", "integer"):
            return ["100000000000000000000", "²"] if slot[0] != "body" else [10**20]
        if kind == "list":
            return [[*current, "\x00"], ["x"] * 10_000]
        current = current if isinstance(current, str) else ""
        out = [bad.with_character(current, "\x00"), bad.with_character(current, "\ud800")]
        if kind != "key":
            out.append(bad.long_text(current, 10 * limit if limit else bad.LONG))
        if bad.DATE.match(current):
            out.append("9999-12-31")
        return out

    def strategy(self, slot: tuple) -> st.SearchStrategy:
        current, limit = self.current(slot), self.limit(slot)
        kind = slot[2] if slot[0] in ("body", "query", "path") else "text"
        if kind == "integer":
            return bad.nasty_integer_text()
        if kind == "number":
            return st.one_of(st.sampled_from(bad.BAD_JSON_NUMBERS), bad.nasty_integer_text())
        if kind == "list":
            item = bad.nasty_text(current[0] if current and isinstance(current[0], str) else "", None)
            # 10 000 short items: a body of a few hundred kilobytes, not gigabytes
            return st.one_of(
                item.map(lambda v: [*current, v]),
                item.map(lambda v: [v[:40]] * 10_000),
            )
        return bad.nasty_text(current if isinstance(current, str) else "", None if kind == "key" else limit)

    # -- changing it

    def place(self, slot: tuple, value: Any) -> None:
        where = slot[0]
        if where == "body":
            path, kind = slot[1], slot[2]
            if kind == "key":
                parent = _get(self.body, path[:-1])
                parent[value] = parent.pop(path[-1])
            elif path:
                _get(self.body, path[:-1])[path[-1]] = value
            else:
                self.body = value
            name = bad.describe(".".join(map(str, path))) if path else "(root)"
            self.notes.append(f"body {name} ({kind}) = {bad.describe(value)}")
        elif where == "query":
            self.query[slot[1]] = value
            self.notes.append(f"query {slot[1]} = {bad.describe(value)}")
        elif where == "header":
            # a header value holds no CR or LF (HTTP framing) and does not begin with white space
            value = "k" + str(value).replace("\r", "").replace("\n", "")
            if slot[1] == "Authorization":
                value = "Bearer ot_" + value
            self.headers[slot[1]] = bad.raw_header(value)
            self.notes.append(f"header {slot[1]} = {bad.describe(value)}")
        elif where == "path":
            self.path[slot[1]] = bad.percent(str(value))
            self.notes.append(f"path {{{slot[1]}}} = {bad.describe(value)}")
        else:
            self.filename = value
            self.notes.append(f"upload file name = {bad.describe(value)}")

    # -- sending it

    def send(self, staff_headers: dict, *, escaped: bool = True, extra_headers: dict | None = None) -> None:
        case = self.case
        headers = {**staff_headers, **(extra_headers or {}), **self.headers}
        kwargs: dict[str, Any] = {}
        if _is_multipart(case):
            kwargs["data"], headers["Content-Type"] = _multipart(self.filename)
        elif self.body is not None:
            # JSON escapes ("\u0000", "\ud800") or the raw UTF-8 bytes (invalid for a surrogate)
            text = json.dumps(self.body, ensure_ascii=escaped)
            kwargs["data"] = text.encode("utf-8", "surrogatepass")
            headers["Content-Type"] = "application/json"
            # (schemathesis' "Reproduce with" line shows the generated body, not this one)
            how = "JSON escapes" if escaped else "raw UTF-8"
            self.notes.append(f"body sent ({how}): {bad.describe(json.dumps(self.body), 300)}")
        case.path_parameters = {**case.path_parameters, **self.path}
        if self.query:
            case.query = {}
            kwargs["params"] = self.query_string()
        _call(case, self.notes, headers=headers, **kwargs)

    def query_string(self) -> str:
        parts = []
        for key, value in self.query.items():
            for item in value if isinstance(value, list) else [value]:
                text = (
                    "true"
                    if item is True
                    else "false"
                    if item is False
                    else ""
                    if item is None
                    else str(item)
                )
                parts.append(f"{bad.percent(str(key))}={bad.percent(text)}")
        return "&".join(parts)


def _multipart(filename: str) -> tuple[bytes, str]:
    boundary = "fuzz" + secrets.token_hex(8)
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename.encode("utf-8", "surrogatepass")
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + bad.tiny_pdf()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# ------------------------------------------------------------------------------- the tests


def _label(result) -> str:
    return result.ok().label if isinstance(result, Ok) else f"invalid:{result.err().label}"


def _call(case, notes: list[str], **kwargs):
    """Send ``case`` (rolled back afterwards, after-commit work run) and check the answer;
    a failure carries what was sent and the server's traceback."""
    with bad.rolled_back(), bad.server_errors() as tracebacks:
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                case.call_and_validate(checks=CHECKS, **kwargs)
        except BaseException as exc:
            exc.add_note("sent: " + "\n  ".join(notes) if notes else "sent: the generated request")
            for text in tracebacks:
                exc.add_note("server traceback:\n" + bad.traceback_tail(text))
            raise


def _strategy(operation, mode, pool, *, only_pool: bool = False):
    """(case, pool entry or None): generated path parameters, or a fresh case's (``only_pool``:
    always a fresh case's, when there is a pool)."""
    strategy = operation.as_strategy(generation_mode=mode)
    if pool:
        fixed = [operation.as_strategy(generation_mode=mode, path_parameters=e["path"]) for e in pool]
        with_pool = st.sampled_from(range(len(pool))).flatmap(lambda n: fixed[n].map(lambda c: (c, pool[n])))
        return with_pool if only_pool else st.one_of(strategy.map(lambda c: (c, None)), with_pool)
    return strategy.map(lambda c: (c, None))


def test_document_lists_operations():
    assert OPERATIONS, "OpenAPI 文档中没有任何接口"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("result", OPERATIONS, ids=_label)
def test_operation(result, mode, staff_headers, staff, cases):
    if not isinstance(result, Ok):
        pytest.fail(f"OpenAPI 文档中的接口定义无效：{result.err()}")
    operation = result.ok()
    pool = build_pool(operation, cases, staff)

    @given(drawn=_strategy(operation, mode, pool))
    @bad.fuzz_settings(MAX_EXAMPLES)
    def fuzz(drawn):
        case, _ = drawn
        _call(case, [], headers=staff_headers)

    try:
        fuzz()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE:
            pytest.skip("该接口没有可构造的非法输入（无参数或参数无约束）")
        raise


def _bad_input_items():
    for result in OPERATIONS:
        if isinstance(result, Ok):
            operation = result.ok()
            if list(operation.body):
                yield pytest.param(result, BODY, id=f"{operation.label}-{BODY}")
            if list(operation.path_parameters) or list(operation.query) or list(operation.headers):
                yield pytest.param(result, URL, id=f"{operation.label}-{URL}")


def _valid_case(operation, entry: dict | None, body):
    alternatives = list(operation.body)
    media_type = alternatives[0].media_type if alternatives else None
    path = {k: str(v) for k, v in (entry or {}).get("path", {}).items()}
    for parameter in operation.path_parameters:
        path.setdefault(parameter.name, "x")
    if media_type and media_type.startswith("multipart/"):
        body = {}
    return operation.Case(path_parameters=path, body=NOT_SET if body is None else body, media_type=media_type)


def _failure(exc: BaseException, limit: int = 2500) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    notes = "\n".join(getattr(exc, "__notes__", []))
    return text[:limit] + ("…" if len(text) > limit else "") + "\n" + notes


@pytest.mark.parametrize(("result", "target"), list(_bad_input_items()))
def test_operation_bad_input(result, target, staff_headers, staff, cases):
    """NUL, control characters, lone surrogates, over-long strings, bad numbers and dates in
    every string of the body (``body``) or of the path, query and headers (``url``), in valid
    requests on fresh cases: first every place with each of the usual suspects (the sweep),
    then random combinations."""
    operation = result.ok()
    pool = build_pool(operation, cases, staff)
    create = state_of(operation) == "create"
    key = {"Idempotency-Key": "fuzz-1"} if create else {}

    # the sweep: each place, each usual suspect, on a valid request for a fresh case
    failures = []
    for entry in [{"path": {}, "variant": 2}, {"path": {}, "variant": 3}] if create else pool[:1] or [None]:
        valid = valid_body(operation, entry)
        probe = Request(operation, _valid_case(operation, entry, valid), valid)
        for slot in slots(operation, probe.case, probe.body, target):
            for value in probe.sweep(slot):
                request = Request(operation, _valid_case(operation, entry, valid), valid)
                request.place(slot, value)
                try:
                    request.send(staff_headers, extra_headers=key)
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                    failures.append(_failure(exc))
    if failures:
        pytest.fail(f"{len(failures)} 个错误：\n\n" + "\n\n".join(failures))

    bodies = {id(e): valid_body(operation, e) for e in pool}

    @given(drawn=_strategy(operation, GenerationMode.POSITIVE, pool, only_pool=True), data=st.data())
    @bad.fuzz_settings(MAX_EXAMPLES)
    def fuzz(drawn, data):
        case, entry = drawn
        body = None if isinstance(case.body, NotSet) else case.body
        valid = bodies.get(id(entry)) if entry is not None else valid_body(operation, None)
        if create:
            valid = valid_body(operation, {"variant": data.draw(st.integers(0, 3), label="intake variant")})
        if valid is not None and not _is_multipart(case) and data.draw(VALID_BASE, label="valid body"):
            body = valid
        request = Request(operation, case, body)
        places = slots(operation, case, request.body, target)
        if not places:
            return
        chosen = data.draw(
            st.lists(st.sampled_from(places), min_size=1, max_size=min(3, len(places)), unique=True),
            label="where",
        )
        # the deepest places first, a key last: nothing an earlier change replaced is looked up
        for slot in sorted(
            chosen, key=lambda s: (-len(s[1]), s[2] == "key") if s[0] == "body" else (0, False)
        ):
            request.place(slot, data.draw(request.strategy(slot), label=str(slot[:2])))
        extra = {"Idempotency-Key": f"fuzz-{data.draw(st.integers(0, 3), label='key')}"} if create else {}
        request.send(
            staff_headers, escaped=data.draw(st.booleans(), label="JSON escapes"), extra_headers=extra
        )

    fuzz()
