"""The ``http`` provider against a real department system (``sharing.department_service`` on an
ephemeral loopback port, in a thread): records, 404, retries, timeouts, the circuit breaker,
and the gateway's projection of what the department sends."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from onething.accounts.models import User
from onething.kernel.codes import id_number_check_char
from onething.sharing import gateway, providers
from onething.sharing import requests as sharing_requests
from onething.sharing.department_service import DepartmentService, serve
from onething.sharing.models import Call, Request, Resource
from onething.sharing.providers import http as provider

RESOURCE = "RS-SBCB-001"
ZHANGSAN, WANGFANG = "430602199001011235", "430602199201011221"
NOBODY = "43060219850303001" + id_number_check_char("43060219850303001")  # valid, not on record


class Service:
    """The department system on a free loopback port for one test."""

    def __init__(self, **options) -> None:
        self.app = DepartmentService(**options)
        self.server = serve(self.app, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/records/{RESOURCE}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service():
    started: list[Service] = []

    def start(**options) -> Service:
        started.append(Service(**options))
        return started[-1]

    yield start
    for s in started:
        s.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Breakers start closed; time and the backoff pauses are the test's."""
    provider.reset_breakers()
    fake = Clock()
    monkeypatch.setattr(provider, "clock", fake)
    monkeypatch.setattr(provider, "sleep", lambda seconds: None)
    yield fake
    provider.reset_breakers()


def resource(url: str, **config) -> SimpleNamespace:
    return SimpleNamespace(code=RESOURCE, backend_config={"url": url, **config})


def fetch(res, subject=ZHANGSAN):
    return providers.get("http").fetch(res, subject, ["name"])


# ------------------------------------------------------------------------------ the provider


def test_record_returned_whole(service):
    s = service()
    record = fetch(resource(s.url))
    assert record["name"] == "张三"
    assert record["bank_account"]  # the provider passes it on; the gateway drops it
    assert s.app.requests == 1


def test_unknown_subject_is_none(service):
    s = service()
    assert fetch(resource(s.url), NOBODY) is None
    assert s.app.requests == 1  # a 404 is an answer: not retried


def test_bearer_token(service):
    s = service(token="dept-secret")
    assert fetch(resource(s.url, token="dept-secret"))["name"] == "张三"
    with pytest.raises(providers.ProviderError, match="HTTP 401"):
        fetch(resource(s.url, token="wrong", retries=0))


def test_failure_is_retried_then_recovers(service):
    s = service(fail_times=2)
    assert fetch(resource(s.url, retries=2))["name"] == "张三"
    assert s.app.requests == 3


def test_failures_exhaust_retries(service):
    s = service(fail_times=100)
    with pytest.raises(providers.ProviderError, match=r"HTTP 503（共尝试 3 次）"):
        fetch(resource(s.url, retries=2))
    assert s.app.requests == 3


def test_timeout(service):
    s = service(delay=0.5)
    with pytest.raises(providers.ProviderError, match="超时"):
        fetch(resource(s.url, timeout=0.1, retries=1))


def test_connection_refused(service):
    s = service()
    url = s.url
    s.close()
    with pytest.raises(providers.ProviderError, match="无法连接"):
        fetch(resource(url, retries=0))


def test_invalid_json_is_retried(service):
    s = service(fail_times=1, fail_status=200, fail_body=b"<html>")
    assert fetch(resource(s.url, retries=1))["name"] == "张三"
    s.app.fail_times = 10
    with pytest.raises(providers.ProviderError, match="不是有效的 JSON"):
        fetch(resource(s.url, retries=1))


def test_json_that_is_not_an_object_is_refused_at_once(service):
    s = service(fail_times=10, fail_status=200, fail_body=b"[1, 2]")
    with pytest.raises(providers.ProviderError, match="应为 JSON 对象"):
        fetch(resource(s.url, retries=2))
    assert s.app.requests == 1


@pytest.mark.parametrize(
    "url", ["", "file:///etc/passwd", "ftp://127.0.0.1/records", "gopher://127.0.0.1:70/", "http://"]
)
def test_only_http_urls(url):
    with pytest.raises(providers.ProviderError, match="部门接口地址"):
        fetch(resource(url))


# ------------------------------------------------------------------------------ the breaker


def test_breaker_opens_refuses_without_calling_and_closes_after_trial(service, clock):
    s = service(fail_times=100)
    res = resource(s.url, retries=0, breaker_failures=3, breaker_seconds=30)
    for _ in range(3):
        with pytest.raises(providers.ProviderError, match="HTTP 503"):
            fetch(res)
    assert s.app.requests == 3
    for _ in range(5):  # open: refused at once, nothing sent
        with pytest.raises(providers.ProviderError, match="熔断中"):
            fetch(res)
    assert s.app.requests == 3

    clock.now += 29
    with pytest.raises(providers.ProviderError, match="熔断中"):
        fetch(res)
    assert s.app.requests == 3

    s.app.fail_times = 0  # the department is back
    clock.now += 2  # cooled down: half-open, one trial goes out
    assert fetch(res)["name"] == "张三"
    assert s.app.requests == 4
    assert fetch(res, WANGFANG)["name"] == "王芳"  # closed again
    assert s.app.requests == 5


def test_failed_trial_opens_again(service, clock):
    s = service(fail_times=100)
    res = resource(s.url, retries=0, breaker_failures=2, breaker_seconds=10)
    for _ in range(2):
        with pytest.raises(providers.ProviderError, match="HTTP 503"):
            fetch(res)
    clock.now += 11
    with pytest.raises(providers.ProviderError, match="HTTP 503"):  # the trial
        fetch(res)
    assert s.app.requests == 3
    with pytest.raises(providers.ProviderError, match="熔断中"):  # at once, for a full cool-down
        fetch(res)
    clock.now += 9
    with pytest.raises(providers.ProviderError, match="熔断中"):
        fetch(res)
    assert s.app.requests == 3


def test_success_resets_the_count(service):
    s = service()
    res = resource(s.url, retries=0, breaker_failures=2)
    for _ in range(3):
        s.app.fail_times = 1
        with pytest.raises(providers.ProviderError, match="HTTP 503"):
            fetch(res)
        assert fetch(res)["name"] == "张三"  # never two failures in a row: stays closed
    assert s.app.requests == 6


def test_half_open_lets_one_trial_through(service, clock):
    s = service(fail_times=1)
    res = resource(s.url, retries=0, breaker_failures=1, breaker_seconds=5)
    with pytest.raises(providers.ProviderError):
        fetch(res)
    clock.now += 6
    s.app.delay = 0.3  # the trial is slow: the others arrive while it is under way
    outcomes: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(6)

    def call():
        go.wait()
        try:
            fetch(res)
            result = "ok"
        except providers.ProviderError as exc:
            result = str(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert all("熔断中" in o for o in outcomes if o != "ok")
    assert s.app.requests == 2


def test_breakers_are_per_resource(service):
    s = service(fail_times=100)
    for _ in range(2):
        with pytest.raises(providers.ProviderError, match="HTTP 503"):
            fetch(resource(s.url, retries=0, breaker_failures=2))
    other = SimpleNamespace(code="RS-OTHER-001", backend_config={"url": s.url, "retries": 0})
    with pytest.raises(providers.ProviderError, match="HTTP 503"):
        fetch(other)


# ------------------------------------------------------------------------------ the gateway


def approved(url: str, **config) -> Request:
    """The demo's pending request of 卫健 for RS-SBCB-001, approved by the data authority and by
    人社's data administrator; the resource pointed at the test's department system."""
    Resource.objects.filter(code=RESOURCE).update(backend_config={"url": url, **config})
    request = Request.objects.get(resource__code=RESOURCE, purpose="生育医疗费用核查")
    if request.status != Request.Status.APPROVED:
        sharing_requests.approve(User.objects.get(username="admin"), request.pk, reason="符合共享条件")
        sharing_requests.approve(User.objects.get(username="shuju_renshe"), request.pk, reason="同意")
    request.refresh_from_db()
    assert request.status == Request.Status.APPROVED
    return request


def caller() -> User:
    return User.objects.get(username="shenpi_weijian")


@pytest.mark.django_db
def test_gateway_returns_only_approved_fields(service):
    s = service()
    request = approved(s.url)
    answer = gateway.query(caller(), request.pk, WANGFANG, request.purpose)
    assert answer.found
    assert answer.data == {"name": "王芳", "insured_since": "2015-03-01", "status": "正常参保"}
    assert set(answer.data) == set(request.fields)  # no bank_account, employer, types
    assert answer.call.outcome == Call.Outcome.ALLOWED
    assert answer.call.fields == ["name", "insured_since", "status"]
    assert answer.call.rows == 1
    narrowed = gateway.query(caller(), request.pk, WANGFANG, request.purpose, ["status"])
    assert narrowed.data == {"status": "正常参保"}


@pytest.mark.django_db
def test_gateway_not_found(service):
    s = service()
    request = approved(s.url)
    answer = gateway.query(caller(), request.pk, NOBODY, request.purpose)
    assert not answer.found
    assert answer.data == {}
    assert answer.call.outcome == Call.Outcome.ALLOWED
    assert answer.call.rows == 0
    assert answer.call.reason == "提供方无该对象的数据"


@pytest.mark.django_db
def test_gateway_logs_a_failed_call(service):
    s = service(fail_times=100)
    request = approved(s.url, retries=2)
    with pytest.raises(gateway.ProviderDown) as raised:
        gateway.query(caller(), request.pk, ZHANGSAN, request.purpose)
    assert s.app.requests == 3
    call = Call.objects.get(pk=raised.value.extra["call"])
    assert call.outcome == Call.Outcome.FAILED
    assert call.request_id == request.pk
    assert call.reason.startswith("提供方未能答复：部门接口返回 HTTP 503")
    assert call.rows == 0


@pytest.mark.django_db
def test_gateway_with_open_breaker(service):
    s = service(fail_times=100)
    request = approved(s.url, retries=0, breaker_failures=2, breaker_seconds=60)
    for _ in range(3):
        with pytest.raises(gateway.ProviderDown):
            gateway.query(caller(), request.pk, ZHANGSAN, request.purpose)
    assert s.app.requests == 2
    reasons = list(Call.objects.filter(request=request).order_by("id").values_list("outcome", "reason"))
    assert [o for o, _ in reasons] == ["failed"] * 3
    assert "熔断中" in reasons[-1][1]
