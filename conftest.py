"""Shared test fixtures.

The demo catalog (Yueyang) is imported once into the test database at session start, so most
tests read a realistic catalog without paying for the import. Transactional tests flush the
database; the ``demo`` fixture re-imports it when it is missing, so test order never matters.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest
from django.core.management import call_command


def _load_demo() -> None:
    call_command("load_demo", verbosity=0, stdout=_Null())


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load_demo()


@pytest.fixture
def demo(db):
    """The demo catalog and accounts (present in the test database)."""
    from onething.catalog.models import Revision

    if not Revision.objects.filter(kind="bundle").exists():
        _load_demo()


@pytest.fixture
def example_document():
    """The worked example from the catalog contract (企业注销一件事, 岳阳市)."""
    text = resources.files("onething.catalog").joinpath("tests/data/example-catalog.json").read_text("utf-8")
    return json.loads(text)


@pytest.fixture
def demo_document():
    text = resources.files("onething.catalog").joinpath("demo/demo-catalog.json").read_text("utf-8")
    return json.loads(text)


@pytest.fixture
def api_client(db):
    from django.test import Client

    return Client()


@pytest.fixture
def make_user(db):
    """Create a user; ``make_user("alice", roles=[("approver", {"department_id": "…"})])``."""
    from onething.accounts.models import StaffRole, User

    def make(username: str, password: str = "pw-for-tests-only", roles=(), **fields):
        user = User.objects.create_user(username=username, password=password, **fields)
        for role, scope in roles:
            StaffRole.objects.create(user=user, role=role, **scope)
        return user

    return make


@pytest.fixture
def token_for(db):
    """A bearer ``Authorization`` header value for a user."""
    from onething.accounts.models import ApiToken

    def issue(user) -> str:
        _, raw = ApiToken.issue(user, name="test")
        return f"Bearer {raw}"

    return issue
