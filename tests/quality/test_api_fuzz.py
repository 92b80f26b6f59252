"""API fuzzing: every operation of ``/api/v1/openapi.json`` against its own documentation.

Schemathesis reads the OpenAPI document from the running WSGI application (in process, on
pytest-django's test database with the demo catalog loaded) and, for every operation — public
and authenticated — generates valid and invalid requests. A run fails on:

* any 5xx (``not_a_server_error``);
* a body that does not match the schema documented for its status (``response_schema_conformance``);
* a status code the operation does not document (``status_code_conformance``);
* a content type the operation does not document (``content_type_conformance``).

Authenticated operations receive a bearer token of a staff user holding every staff role, so
the fuzzer reaches the code behind the authentication check; ``tests/security`` checks the
other side (401 without a token). Examples are bounded and derandomized so CI is stable.

Run alone: ``make fuzz`` or ``pytest tests/quality/test_api_fuzz.py -m slow``.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow]

OPENAPI_URL = "/api/v1/openapi.json"
#: examples per operation (raise locally with ONETHING_FUZZ_EXAMPLES=500 for a deep run)
MAX_EXAMPLES = int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def staff_with_every_role(make_user):
    """A user holding every staff role, scoped to the demo city (岳阳市), plus superuser rights."""
    from onething.accounts.models import StaffRole
    from onething.directory.models import Department, Hall, Region

    region = Region.objects.filter(code="430600").first() or Region.objects.order_by("code").first()
    department = Department.objects.filter(region=region).order_by("code").first()
    hall = Hall.objects.filter(region=region).order_by("code").first()
    roles = [(StaffRole.PLATFORM_ADMIN, {})]
    if region is not None:
        roles.append((StaffRole.SUPERVISOR, {"region": region}))
    if department is not None:
        roles += [
            (StaffRole.APPROVER, {"department": department}),
            (StaffRole.DEPARTMENT_ADMIN, {"department": department}),
        ]
    if hall is not None:
        roles.append((StaffRole.WINDOW_CLERK, {"hall": hall}))
    return make_user(
        "fuzz-staff",
        roles=roles,
        real_name="模糊测试员",
        id_number="430602199001011235",
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
def staff_headers(make_user, token_for):
    return {"Authorization": token_for(staff_with_every_role(make_user))}


@pytest.fixture
def known_values(demo):
    """Real values for path parameters, so half of the examples reach past the 404."""
    from onething.catalog.models import Revision

    values = {
        "item": Revision.objects.filter(kind="item", current=True)
        .order_by("code")
        .values_list("code", flat=True)
        .first(),
        "bundle": Revision.objects.filter(kind="bundle", current=True)
        .order_by("code")
        .values_list("code", flat=True)
        .first(),
    }
    try:  # an application of a demo citizen, once the cases app can take one
        from onething.accounts.models import User
        from onething.cases import intake
        from onething.cases.tests.conftest import ANSWERS, BUNDLE, FORM

        asked = {f.element for f in intake.load_plan("bundle", BUNDLE, ANSWERS).form}
        form = {k: v for k, v in intake.flatten(FORM).items() if k in asked}
        app = intake.submit(
            User.objects.get(username="zhangsan"),
            kind="bundle",
            code=BUNDLE,
            answers=ANSWERS,
            form=form,
            idempotency_key="api-fuzz",
        ).application
        values["number"] = app.number
        values["sub"] = app.subcases.order_by("number").values_list("number", flat=True).first()
    except Exception:  # noqa: S110 - without an application the fuzzer still covers every operation
        pass
    return {k: v for k, v in values.items() if v}


def _path_values(operation, known: dict) -> dict:
    out = {}
    for name in re.findall(r"\{(\w+)\}", operation.path):
        if name == "code":
            kind = "item" if "/items/" in operation.path else "bundle"
            if kind in known:
                out[name] = known[kind]
        elif name in known:
            out[name] = known[name]
    return out


#: loaded at collection (pytest-django has configured Django; building the document needs no
#: database), so each operation becomes its own test item, e.g.
#: ``test_operation[GET /api/v1/catalog/items/{code}-positive]``, and xdist can spread them.
schema = schemathesis.openapi.from_wsgi(OPENAPI_URL, get_wsgi_application())
OPERATIONS = list(schema.get_all_operations())


def _label(result) -> str:
    return result.ok().label if isinstance(result, Ok) else f"invalid:{result.err().label}"


def test_document_lists_operations():
    assert OPERATIONS, "OpenAPI 文档中没有任何接口"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("result", OPERATIONS, ids=_label)
def test_operation(result, mode, demo, staff_headers, known_values):
    if not isinstance(result, Ok):
        pytest.fail(f"OpenAPI 文档中的接口定义无效：{result.err()}")
    operation = result.ok()
    strategy = operation.as_strategy(generation_mode=mode)
    fixed = _path_values(operation, known_values)
    if fixed:
        strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode, path_parameters=fixed))

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        case.call_and_validate(headers=staff_headers, checks=CHECKS)

    try:
        fuzz()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE:
            pytest.skip("该接口没有可构造的非法输入（无参数或参数无约束）")
        raise
