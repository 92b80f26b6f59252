"""A real server process for the crash test and the intake benchmark: gunicorn on a free
localhost port, against its own database (a SQLite file or a PostgreSQL database)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(var_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "ONETHING_", "DJANGO_"))}
    env.update(
        {
            "ONETHING_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url or f"sqlite:///{var_dir / 'server.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "onething.conf.settings",
            "DJANGO_DEBUG": "0",
            "ONETHING_NOTIFY": "inbox",
            "ONETHING_LOG_LEVEL": "ERROR",
        }
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(VENV_BIN / "onething"), *args], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def prepare(env: dict[str, str]) -> str:
    """Migrate, load the demo and return a bearer token for zhangsan."""
    manage(env, "migrate", "-v0")
    manage(env, "load_demo", "--without-ratings", "--without-hotline")
    return manage(env, "token", "create", "zhangsan").strip().splitlines()[-1]


def start(env: dict[str, str], port: int, workers: int = 2, threads: int = 4, log: Path | None = None):
    """Start gunicorn in its own process group (so SIGKILL takes the whole server down)."""
    handle = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed by the OS with the server
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "onething.conf.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "60",
        ],
        env=env,
        stdout=handle,
        stderr=handle,
        start_new_session=True,
    )
    wait_healthy(proc, port)
    return proc


def wait_healthy(proc, port: int, seconds: float = 60) -> None:
    """Return once ``/healthz`` answers 200; kill the server if it does not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    kill(proc)
    raise RuntimeError("server did not become healthy")


def kill(proc) -> None:
    """SIGKILL the server's whole process group: no shutdown, no cleanup — a crash."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def stop(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        kill(proc)
