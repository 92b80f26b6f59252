"""Production settings refuse unsafe configurations and set secure cookie and transport flags.

Each case starts a fresh interpreter (settings are read once per process) with a controlled
environment and ``ONETHING_ENV=production``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

GOOD_SECRET = "a-long-production-secret-for-tests-" + "x" * 16
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY", "AXES_FAILURE_LIMIT", "ALLOWED_HOSTS",
]}))
"""


def run_python(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ONETHING_", "DJANGO_")) and k not in ("DATABASE_URL",)
    }
    environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "onething.conf.settings",
            "ONETHING_VAR_DIR": str(tmp_path),
            "ONETHING_ALLOWED_HOSTS": "onething.example.gov.cn",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "ONETHING_SECRET_KEY"),
        ({"ONETHING_SECRET_KEY": "onething-development-secret-not-for-production"}, "ONETHING_SECRET_KEY"),
        ({"ONETHING_SECRET_KEY": "too-short"}, "ONETHING_SECRET_KEY"),
        ({"ONETHING_SECRET_KEY": GOOD_SECRET, "DJANGO_DEBUG": "1"}, "DEBUG"),
        ({"ONETHING_SECRET_KEY": GOOD_SECRET, "DJANGO_DEBUG": "true"}, "DEBUG"),
    ],
    ids=["no-secret", "development-secret", "short-secret", "debug-1", "debug-true"],
)
def test_production_refuses_to_start(env, expected, tmp_path):
    result = run_python("import django; django.setup()", tmp_path, ONETHING_ENV="production", **env)
    assert result.returncode != 0, "生产环境在不安全配置下启动了"
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr


def test_production_cookie_and_transport_flags(tmp_path):
    result = run_python(PRINT_SETTINGS, tmp_path, ONETHING_ENV="production", ONETHING_SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout.strip().splitlines()[-1])
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert s["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["AXES_FAILURE_LIMIT"] <= 10
    assert s["ALLOWED_HOSTS"] == ["onething.example.gov.cn"]


def test_production_deploy_check_is_clean(tmp_path):
    code = (
        "import sys; from onething.cli import main; "
        "main(['onething', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    result = run_python(code, tmp_path, ONETHING_ENV="production", ONETHING_SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
