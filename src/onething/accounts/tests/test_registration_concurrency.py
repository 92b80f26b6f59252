"""Two registrations with the same ID number at the same moment, on PostgreSQL: one account.

There is no unique index on ``id_number`` (staff records and test data may share one), so
``registration.register`` takes an advisory lock per number before it looks for an existing
account: the second transaction waits for the first to commit and then sees its account.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.db import connection
from django.utils import timezone

from onething.accounts import registration, verification
from onething.accounts.models import PhoneCode, User
from onething.accounts.tests.conftest import id_number
from onething.kernel.errors import Invalid

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real concurrency needs PostgreSQL (SQLite serialises writers)",
    ),
]

PASSWORD = "ju-zi-zhou-tou-88"
ROUNDS = 5


def _race(phones, ids, codes, now) -> list[object]:
    """Both registrations at once (a barrier), each on its own connection: what each got."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(n: int) -> None:
        try:
            barrier.wait()
            outcomes[n] = registration.register(
                real_name=f"并发{n}",
                id_number=ids[n],
                phone=phones[n],
                code=codes[n],
                password=PASSWORD,
                ip=f"203.0.113.{n}",
                now=now,
            )
        except BaseException as exc:  # reported by the caller's assertions
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same", ["id_number", "phone"])
def test_simultaneous_registrations_of_one_number_make_one_account(same):
    now = timezone.now()
    for round_ in range(ROUNDS):
        phones = [f"1370000{round_:02d}{n:02d}" for n in range(2)]
        ids = [id_number(f"4306021988010{n + 1}{round_:03d}") for n in range(2)]
        if same == "id_number":
            ids = [ids[0]] * 2
        else:
            phones = [phones[0]] * 2
        codes = []
        for phone in phones:
            _, code = verification.issue(
                phone, PhoneCode.Purpose.REGISTER, now + dt.timedelta(microseconds=len(codes))
            )
            codes.append(code)
        if same == "phone":  # one code for the phone: both try it (the second must not get in)
            codes = [codes[-1]] * 2
        outcomes = _race(phones, ids, codes, now)
        made = [o for o in outcomes if isinstance(o, User)]
        refused = [o for o in outcomes if isinstance(o, Invalid)]
        assert len(made) == 1 and len(refused) == 1, outcomes
        assert refused[0].field in ("id_number", "phone", "code")
        if same == "id_number":
            assert refused[0].field == "id_number"
            assert User.objects.filter(id_number=ids[0]).count() == 1
        else:
            assert User.objects.filter(phone=phones[0]).count() == 1
