"""A department's own system, simulated: what the ``http`` provider calls in the demo and tests.

A plain WSGI app (stdlib only; no Django at request time) serving ``GET /records/<resource
code>/<subject>`` from a dict ``{resource code: {subject: record}}`` as JSON: 200 with the
record, 404 when the resource or subject is unknown, 401 without the bearer token when one is
configured, 405 for anything but GET. The records deliberately carry more than the resource
declares (``bank_account``): the gateway's projection, not the department, decides what a
caller gets.

It can be told to misbehave: the first ``fail_times`` requests answer ``fail_status`` (503 by
default) with ``fail_body``, and every answer waits ``delay`` seconds first. ``requests``
counts what reached it (a breaker that is open sends nothing). ``serve`` runs it on a threaded
``wsgiref`` server; ``onething department-service`` serves the demo records on port 8101.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

PREFIX = "/records/"

#: 社会保险参保信息 of the demo people (RS-SBCB-001); ``bank_account`` is not a field of the resource
DEMO_RECORDS: dict[str, dict[str, dict[str, Any]]] = {
    "RS-SBCB-001": {
        "430602199001011235": {
            "name": "张三",
            "id_number": "430602199001011235",
            "insured_since": "2012-07-01",
            "types": ["企业职工基本养老保险", "职工基本医疗保险", "失业保险", "工伤保险"],
            "status": "正常参保",
            "employer": "岳阳市洞庭湖餐饮管理有限公司",
            "bank_account": "6217 0000 1234 5678 901",
        },
        "430602199201011221": {
            "name": "王芳",
            "id_number": "430602199201011221",
            "insured_since": "2015-03-01",
            "types": ["企业职工基本养老保险", "职工基本医疗保险", "生育保险"],
            "status": "正常参保",
            "employer": "岳阳市妇幼保健院",
            "bank_account": "6217 0000 2234 5678 902",
        },
        "430626198805052012": {
            "name": "李四",
            "id_number": "430626198805052012",
            "insured_since": "2010-10-01",
            "types": ["企业职工基本养老保险", "职工基本医疗保险"],
            "status": "暂停缴费",
            "employer": "平江县天岳建筑工程有限公司",
            "bank_account": "6217 0000 3234 5678 903",
        },
    }
}


class DepartmentService:
    """The WSGI app. Thread-safe: the counters are updated under a lock."""

    def __init__(
        self,
        records: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
        *,
        token: str = "",
        fail_times: int = 0,
        fail_status: int = 503,
        fail_body: bytes = '{"error": "系统维护中"}'.encode(),
        delay: float = 0.0,
    ) -> None:
        self.records = DEMO_RECORDS if records is None else records
        self.token = token
        self.fail_times = fail_times
        self.fail_status = fail_status
        self.fail_body = fail_body
        self.delay = delay
        self.requests = 0
        self._lock = threading.Lock()

    def _answer(self, environ) -> tuple[int, Any]:
        if environ.get("REQUEST_METHOD") != "GET":
            return 405, {"error": "只支持 GET"}
        if self.token and environ.get("HTTP_AUTHORIZATION", "") != f"Bearer {self.token}":
            return 401, {"error": "未授权"}
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return 404, {"error": "未找到"}
        resource, _, subject = path.removeprefix(PREFIX).partition("/")
        record = self.records.get(unquote(resource), {}).get(unquote(subject))
        if record is None:
            return 404, {"error": "无该对象的数据"}
        return 200, record

    def __call__(self, environ, start_response):
        with self._lock:
            self.requests += 1
            failing = self.fail_times > 0
            if failing:
                self.fail_times -= 1
        if self.delay:
            time.sleep(self.delay)
        if failing:
            status, body = self.fail_status, self.fail_body
        else:
            status, answer = self._answer(environ)
            body = json.dumps(answer, ensure_ascii=False).encode()
        reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
        start_response(
            f"{status} {reason.get(status, 'Error')}",
            [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # no line per request on stderr
        pass


def serve(app: DepartmentService, host: str = "127.0.0.1", port: int = 8101) -> WSGIServer:
    """A threaded server bound to ``host:port`` (port 0: any free one, see ``server_port``);
    the caller runs ``serve_forever()`` (and ``shutdown()``, ``server_close()``)."""
    return make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
