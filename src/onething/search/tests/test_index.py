"""Index maintenance: publication, supersession, department renames and the rebuild command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from onething.catalog.models import Item, Revision
from onething.catalog.publishing import publish, record_revision
from onething.search.engine import search
from onething.search.models import SearchDocument

pytestmark = pytest.mark.django_db
CODE = "430600-GA-0101-01"


def test_publishing_a_new_version_replaces_the_document(demo):
    Item.objects.filter(pk=CODE).update(name="机动车驾驶证补领换证")
    revision = publish("item", CODE, reason="测试改名")
    document = SearchDocument.objects.get(kind="item", code=CODE)
    assert document.name == "机动车驾驶证补领换证"
    assert document.version == revision.version
    assert SearchDocument.objects.filter(kind="item", code=CODE).count() == 1
    assert CODE in [r["code"] for r in search("换证")]


def test_withdrawn_or_superseded_revisions_are_not_indexed(demo):
    data = Revision.objects.get(kind="item", code=CODE, current=True).data
    record_revision("item", {**data, "name": "临时名称甲"})
    record_revision("item", {**data, "name": "临时名称乙"})
    assert list(SearchDocument.objects.filter(code=CODE).values_list("name", flat=True)) == ["临时名称乙"]
    assert "临时名称甲" not in [r["name"] for r in search("临时名称甲")]


def test_a_new_item_is_found_after_publication(demo):
    data = Revision.objects.get(kind="item", code=CODE, current=True).data
    new = {**data, "code": "430626-GA-0101-99", "region": "430626", "name": "摩托车驾驶证审验"}
    record_revision("item", new)
    assert search("摩托车")[0]["code"] == "430626-GA-0101-99"


def test_renaming_a_department_updates_its_documents(demo):
    from onething.directory.models import Department

    department = Department.objects.get(pk="11430600MB0600046D")
    department.name = "岳阳市公安局交通警察支队"
    department.save()
    data = Revision.objects.get(kind="department", code=department.code, current=True).data
    record_revision("department", {**data, "name": department.name})
    assert SearchDocument.objects.get(code=CODE).department_name == "岳阳市公安局交通警察支队"


def test_rebuild_command_recreates_the_index(demo):
    before = set(SearchDocument.objects.values_list("kind", "code", "name"))
    SearchDocument.objects.all().delete()
    assert not search("社保")
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "重建" in out.getvalue()
    assert set(SearchDocument.objects.values_list("kind", "code", "name")) == before
    assert search("社保")


def test_migrate_fills_an_empty_index(demo):
    from django.apps import apps

    from onething.search.signals import on_post_migrate

    SearchDocument.objects.all().delete()
    on_post_migrate(apps.get_app_config("search"))
    assert SearchDocument.objects.filter(kind="bundle").exists()
    assert search("生孩子")
