"""``http``: a department's own system over HTTP/JSON.

The resource's ``backend_config`` names the system::

    {"url": "http://127.0.0.1:8101/records/RS-SBCB-001",  # required, http(s) only
     "timeout": 2.0,            # seconds per attempt
     "retries": 2,              # further attempts after the first (0–5)
     "token": "…",              # optional, sent as "Authorization: Bearer …"
     "breaker_failures": 5,     # consecutive failed fetches that open the breaker
     "breaker_seconds": 30}     # how long it stays open

``fetch`` sends ``GET {url}/{subject}``: 200 with a JSON object is the record, 404 is "no
record" (``None``); any other status, a timeout, a refused connection or a body that is not
JSON is tried again after a short backoff (50 ms, 100 ms, …) and, when the last attempt fails
too, raised as :class:`ProviderError` with a Chinese sentence. A 200 whose JSON is not an
object is a malformed answer: raised at once, not retried. Nothing else is trusted: the
gateway projects the record onto the approved fields itself. Only the configured URL is
called (no redirects followed, no proxy taken from the environment).

**Circuit breaker**, one per resource, in process and thread-safe: every fetch that ends in
``ProviderError`` (after its retries) counts one failure, a fetch that gets an answer (a
record or a 404) resets the count. After ``breaker_failures`` consecutive failures the breaker
*opens*: for ``breaker_seconds`` a fetch raises "熔断中…" at once, without a network call, so
a department that is down costs its callers nothing but the refusal. When the cool-down is
over it is *half-open*: exactly one caller's fetch is let through as a trial (the others are
still refused); its success closes the breaker, its failure opens it for another cool-down.
Time comes from the module's ``clock`` (``time.monotonic``), so tests can move it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from onething.sharing.providers import ProviderError, register

#: the time source of the breakers and the pause between attempts (tests replace them)
clock = time.monotonic
sleep = time.sleep

BACKOFF = 0.05  # seconds before the first retry, doubled for each further one
MAX_RETRIES = 5


class Breaker:
    """Consecutive failures of one resource's system: closed → open → half-open → closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failures = 0
        self.open_until: float | None = None  # set while open (and during the half-open trial)
        self.trial = False  # a half-open trial call is under way

    def admit(self) -> float | None:
        """``None`` when a call may go out now; otherwise the seconds until it may."""
        with self._lock:
            if self.open_until is None:
                return None
            now = clock()
            if now < self.open_until:
                return self.open_until - now
            if self.trial:
                return 0.0  # cooled down, but another caller's trial is under way
            self.trial = True
            return None

    def succeeded(self) -> None:
        with self._lock:
            self.failures, self.open_until, self.trial = 0, None, False

    def failed(self, threshold: int, seconds: float) -> None:
        with self._lock:
            self.failures += 1
            if self.trial or self.failures >= threshold:
                self.open_until, self.trial = clock() + seconds, False


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker(key: str) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault(key, Breaker())


def reset_breakers() -> None:
    """Forget every breaker's state (tests; a restarted process starts closed too)."""
    with _breakers_lock:
        _breakers.clear()


@dataclass(frozen=True)
class Config:
    url: str
    timeout: float
    retries: int
    token: str
    breaker_failures: int
    breaker_seconds: float


def _number(config: dict, key: str, default, kind, low, high):
    value = config.get(key, default)
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ProviderError(f"部门接口配置“{key}”应为数字") from None
    return min(max(value, low), high)


def parse_config(config) -> Config:
    """The resource's ``backend_config`` checked: an http(s) URL with a host, sane numbers."""
    config = config if isinstance(config, dict) else {}
    url = str(config.get("url") or "").strip().rstrip("/")
    if not url:
        raise ProviderError("未配置部门接口地址")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError("部门接口地址须为 http:// 或 https:// 开头的地址")
    return Config(
        url=url,
        timeout=_number(config, "timeout", 2.0, float, 0.05, 60.0),
        retries=_number(config, "retries", 2, int, 0, MAX_RETRIES),
        token=str(config.get("token") or ""),
        breaker_failures=_number(config, "breaker_failures", 5, int, 1, 1000),
        breaker_seconds=_number(config, "breaker_seconds", 30.0, float, 0.0, 3600.0),
    )


class _Retry(Exception):
    """One attempt failed in a way worth trying again."""


_client: httpx.Client | None = None
_client_pid = 0
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """One keep-alive client per process (a forked gunicorn worker makes its own)."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            _client = httpx.Client(trust_env=False, follow_redirects=False)
            _client_pid = os.getpid()
        return _client


def _attempt(config: Config, subject: str) -> dict | None:
    headers = {"Accept": "application/json"}
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    try:
        response = _shared_client().get(
            f"{config.url}/{quote(subject, safe='')}", headers=headers, timeout=config.timeout
        )
    except httpx.TimeoutException:
        raise _Retry(f"部门接口超时（{config.timeout:g} 秒）") from None
    except httpx.HTTPError:
        raise _Retry("无法连接部门接口") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _Retry(f"部门接口返回 HTTP {response.status_code}")
    try:
        record = response.json()
    except ValueError:
        raise _Retry("部门接口返回的内容不是有效的 JSON") from None
    if not isinstance(record, dict):
        raise ProviderError("部门接口返回的数据格式不正确（应为 JSON 对象）")
    return record


@register("http", "部门接口（HTTP/JSON）")
class Http:
    def fetch(self, resource, subject, fields):
        config = parse_config(resource.backend_config)
        state = breaker(resource.code)
        wait = state.admit()
        if wait is not None:
            raise ProviderError(f"熔断中：部门接口连续未能答复，暂停调用，约 {max(wait, 1):.0f} 秒后再试")
        try:
            record = self._with_retries(config, subject)
        except BaseException:  # ProviderError, or anything unexpected: the trial must end too
            state.failed(config.breaker_failures, config.breaker_seconds)
            raise
        state.succeeded()
        return record

    @staticmethod
    def _with_retries(config: Config, subject: str) -> dict | None:
        for attempt in range(config.retries + 1):
            if attempt:
                sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                return _attempt(config, subject)
            except _Retry as exc:
                last = str(exc)
        tried = f"（共尝试 {config.retries + 1} 次）" if config.retries else ""
        raise ProviderError(f"{last}{tried}")
