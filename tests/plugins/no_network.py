"""pytest plugin: tests must not talk to the network.

Registered in ``pyproject.toml`` (``addopts = -p tests.plugins.no_network``). Every socket
connection to a non-loopback address, and every name lookup for a host other than
``localhost``, raises :class:`NetworkBlocked` naming the host, so a test that silently depends
on the internet fails at once instead of hanging or passing only on a connected machine.
Loopback (PostgreSQL, Redis, the browser under test) and Unix sockets stay allowed.

A test that really needs the network (none should) can opt out with
``@pytest.mark.allow_network``.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "testserver", ""}


class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback host."""


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None:
        return True
    host = str(host).strip("[]").lower()
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _host_of(address):
    if isinstance(address, tuple) and address:
        return address[0]
    return None  # AF_UNIX path or similar


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_real_getaddrinfo = socket.getaddrinfo
_active = False


def _refuse(host) -> None:
    raise NetworkBlocked(
        f"测试不得访问网络：试图连接 {host!r}（仅允许本机回环地址；见 tests/plugins/no_network.py）"
    )


def _guarded_connect(self, address):
    if _active and self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_host_of(address)):
        _refuse(_host_of(address))
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if _active and self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_host_of(address)):
        _refuse(_host_of(address))
    return _real_connect_ex(self, address)


def _guarded_sendto(self, data, *args):
    address = args[-1] if args else None
    if _active and self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_host_of(address)):
        _refuse(_host_of(address))
    return _real_sendto(self, data, *args)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if _active and not _is_local(host):
        _refuse(host)
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_network: this test may reach non-loopback hosts (avoid)")
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.socket.sendto = _guarded_sendto
    socket.getaddrinfo = _guarded_getaddrinfo


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.socket.sendto = _real_sendto
    socket.getaddrinfo = _real_getaddrinfo


def _guard(item: pytest.Item):
    global _active
    _active = item.get_closest_marker("allow_network") is None
    try:
        return (yield)
    finally:
        _active = False


pytest_runtest_setup = pytest.hookimpl(wrapper=True)(_guard)
pytest_runtest_call = pytest.hookimpl(wrapper=True)(_guard)
pytest_runtest_teardown = pytest.hookimpl(wrapper=True)(_guard)
