"""Shared by the fuzzers (``test_api_fuzz``, ``test_form_fuzz``).

The fuzzers send lone surrogates; the application's log lines and the failure reports then
hold them too, and pytest-xdist cannot send such text from a worker (it is not encodable as
UTF-8: the worker crashes). Reports leave the worker with those characters escaped
(``\\ud800``); everything else in them is unchanged."""

from __future__ import annotations

import pytest


def printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.sections = [(title, printable(content)) for title, content in report.sections]
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        text = str(report.longrepr)
        if printable(text) != text:
            report.longrepr = printable(text)


@pytest.fixture
def fast_passwords(settings):
    """Users made by a fuzzer get a fast password hash (argon2 costs a third of a second per
    user, and the login form checks a password per example); the demo accounts keep theirs."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def uploads(settings, tmp_path):
    """Uploaded files of a test go to its own directory."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
