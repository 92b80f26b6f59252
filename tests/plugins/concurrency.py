"""Running work at the same instant on PostgreSQL, for the concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def together(works: list[Callable[[], object]]) -> list[object]:
    """Run ``works`` at once (a barrier), one thread and connection each: what each returned or
    raised. A lock wait over 20 s fails the thread instead of hanging the suite."""
    barrier = threading.Barrier(len(works))
    outcomes: list[object] = [None] * len(works)

    def run(n: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '20s'")
            barrier.wait(30)
            outcomes[n] = works[n]()
        except BaseException as exc:  # reported by the caller's assertions
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting (deadlock?)"
    return outcomes
