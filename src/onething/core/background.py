"""After-commit work off the request: one daemon thread per process runs short jobs in order.

A committed change has follow-up work that must not fail it and that nobody waits for:
linking its audit record into the hash chain, handing its notification outbox to the huey
consumer (which sends; this thread only enqueues). Run in the request thread, that work was
a third of an intake's CPU and three more round trips (docs/performance.md).
:func:`after_commit` hands it to this process's worker thread instead.

``ONETHING["AFTER_COMMIT"]`` chooses where it runs:

- ``"background"`` (servers): the worker thread, on its own database connection. Jobs given a
  ``key`` are coalesced: while one with that key waits in the queue, another is not added,
  and a key may ask for a minimum interval between its runs — under load, the commits of
  each 50 ms then share one audit-linking run and one enqueued delivery task.
- ``"inline"`` (the test suite, management commands): at once, in the calling thread, so the
  effect can be read right after the change.

What a crash loses: jobs still queued when the process dies, and nothing with them. Audit
records stay *pending* and are linked by the periodic task; notifications were written in the
change's transaction (inbox and outbox rows), and the outbox's minute sweep delivers them.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection, transaction

logger = logging.getLogger("onething.background")


def inline() -> bool:
    return settings.ONETHING.get("AFTER_COMMIT", "background") == "inline"


class Worker:
    """The process's after-commit worker (see the module docstring)."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._queued_keys: set[str] = set()
        self._keys_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._last_run: dict[str, float] = {}
        self._exit_hook = False
        self._min_interval: dict[str, float] = {}
        self.done = 0  # jobs run so far (tests, diagnostics)

    def submit(self, job: Callable[[], object], key: str | None = None, every: float = 0.0) -> None:
        """Queue ``job``. With a ``key``: not again while one with that key waits, and (``every``
        seconds) not sooner than that after the key's previous run — the run then takes the
        work of every commit of the interval at once."""
        if key is not None:
            with self._keys_lock:
                if key in self._queued_keys:
                    return  # the queued run will do this one's work too
                self._queued_keys.add(key)
                self._min_interval[key] = every
        self._ensure_thread()
        self._queue.put((key, job))

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                if self._pid != os.getpid():  # a forked child: the parent's queue is not ours
                    self._queue = queue.Queue()
                    self._queued_keys = set()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="after-commit", daemon=True)
                self._thread.start()
                if not self._exit_hook:  # a command or a stopping worker: finish what is queued
                    atexit.register(self.drain, timeout=10)
                    self._exit_hook = True

    def _run(self) -> None:
        while True:
            key, job = self._queue.get()
            try:
                if job is None:  # stop()
                    connection.close()
                    return
                if key is not None:
                    wait = self._last_run.get(key, 0.0) + self._min_interval.get(key, 0.0) - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)  # gather: commits meanwhile find the key queued
                    with self._keys_lock:
                        self._queued_keys.discard(key)  # commits from now on queue a new run
                    self._last_run[key] = time.monotonic()
                close_old_connections()
                try:
                    job()
                except Exception:
                    logger.exception("提交后任务失败")
                self.done += 1
                close_old_connections()
            finally:
                self._queue.task_done()

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every job queued so far has run (tests, process exit), at most ``timeout``."""
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            return
        if timeout is None:
            self._queue.join()
            return
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        """Run what is queued, close the thread's connection and end the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put((None, None))
            self._thread.join(10)
        self._thread = None


worker = Worker()


def after_commit(job: Callable[[], object], key: str | None = None, every: float = 0.0) -> None:
    """Run ``job`` now (inline mode) or on the process's worker thread (background mode; see
    :meth:`Worker.submit` for ``key`` and ``every``).

    Call it from an ``on_commit`` callback: the job then never sees uncommitted data.
    """
    if inline():
        job()
    else:
        worker.submit(job, key, every)


def on_commit_once(func: Callable[[], None], using) -> None:
    """Queue ``func`` after the commit of ``using``'s transaction, once per transaction: not
    again if it is queued at this level or an outer one (a rolled-back savepoint drops its
    callback together with the rows it was for)."""
    savepoints = set(using.savepoint_ids)
    for sids, queued, *_ in using.run_on_commit:
        if queued is func and set(sids) <= savepoints:
            return
    transaction.on_commit(func, using=using.alias)
