"""Publication: drafts stay private, every published version is kept and immutable.

The public (search, guides, plans, new applications) must never see a half-edited item, and
the 动态调整 history must show who changed what, when and why — so revisions cannot change.
"""

from __future__ import annotations

import pytest

from onething.catalog import publishing, records
from onething.catalog.models import Item, PublishState, Revision

pytestmark = pytest.mark.django_db

CODE = "430600-RS-0701-01"  # legal limit 20, promised 10


def _item_api(client, code=CODE):
    return client.get(f"/api/v1/catalog/items/{code}")


def test_published_item_api_shows_full_elements(demo, client):
    response = _item_api(client)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == CODE and body["version"] == 1
    assert body["department"]["name"] and body["region"]["name"]
    assert body["materials"] and all("exempt" in m for m in body["materials"])


def test_unknown_item_is_404_in_the_error_shape(demo, client):
    response = _item_api(client, "NO-SUCH-ITEM")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "code"


def test_draft_is_invisible_until_published(demo, client, make_user):
    editor = make_user("editor", is_staff=True)
    original = _item_api(client).json()["name"]
    item = Item.objects.get(code=CODE)
    item.name = "企业职工正常退休审批（修订稿）"
    item.state = PublishState.CHANGED
    item.save()
    assert _item_api(client).json()["name"] == original  # draft not visible
    assert publishing.current("item", CODE)["name"] == original

    revision = publishing.publish("item", CODE, author=editor, reason="名称规范化")
    assert revision.version == 2
    body = _item_api(client).json()
    assert body["name"] == "企业职工正常退休审批（修订稿）" and body["version"] == 2
    assert Item.objects.get(code=CODE).state == PublishState.PUBLISHED


def test_history_keeps_who_when_why(demo, make_user):
    editor = make_user("editor2", is_staff=True)
    Item.objects.filter(code=CODE).update(promised_limit=8)
    publishing.publish("item", CODE, author=editor, reason="压缩承诺时限")
    history = publishing.history("item", CODE)
    assert [r.version for r in history] == [2, 1]
    latest, first = history
    assert latest.author == editor and latest.reason == "压缩承诺时限" and latest.created_at
    assert latest.current and not first.current
    assert first.data["promised_limit"] == 10 and latest.data["promised_limit"] == 8
    assert Revision.objects.filter(kind="item", code=CODE, current=True).count() == 1


def test_publishing_unchanged_record_creates_no_version(demo):
    assert publishing.publish("item", CODE, reason="重复发布") is None
    assert publishing.current_version("item", CODE) == 1


def test_revisions_are_immutable(demo):
    revision = Revision.objects.get(kind="item", code=CODE, current=True)
    revision.reason = "改写历史"
    with pytest.raises(ValueError, match="不可修改"):
        revision.save()
    with pytest.raises(ValueError, match="不可删除"):
        revision.delete()
    assert Revision.objects.get(pk=revision.pk).reason != "改写历史"


def test_invalid_record_is_not_published(demo):
    item = Item.objects.get(code=CODE)
    item.promised_limit = item.legal_limit + 5
    item.save()
    with pytest.raises(publishing.PublishError) as exc:
        publishing.publish("item", CODE, reason="x")
    (fault,) = exc.value.faults
    assert (fault.code, fault.field) == (CODE, "promised_limit")
    assert publishing.current_version("item", CODE) == 1


def test_missing_record_cannot_be_published(demo):
    with pytest.raises(publishing.PublishError, match="记录不存在"):
        publishing.publish("item", "NOPE", reason="x")


def test_bundle_with_unpublished_member_is_not_published(demo):
    bundle_code = Revision.objects.filter(kind="bundle", current=True).values_list("code", flat=True)[0]
    bundle = records.working_record("bundle", bundle_code)
    new_item = records.working_record("item", bundle["members"][0]["item"])
    new_item["code"] = "430600-DRAFT-0001-01"
    records.apply_item(new_item)  # a draft only
    bundle["members"].append({"item": "430600-DRAFT-0001-01", "after": []})
    records.apply_bundle(bundle)
    with pytest.raises(publishing.PublishError) as exc:
        publishing.publish("bundle", bundle_code, reason="加成员")
    assert any("430600-DRAFT-0001-01" in str(f) for f in exc.value.faults)
    publishing.publish("item", "430600-DRAFT-0001-01", reason="先发布事项")
    assert publishing.publish("bundle", bundle_code, reason="加成员").version == 2


def test_withdrawn_revision_is_not_served(demo, client):
    revision = Revision.objects.get(kind="item", code=CODE, current=True)
    Revision.objects.filter(pk=revision.pk).update(withdrawn=True)
    assert publishing.current("item", CODE) is None
    assert _item_api(client).status_code == 404


def test_the_database_refuses_bulk_edits_of_a_published_revision(demo):
    """A queryset update bypasses Revision.save; the trigger still refuses content changes."""
    from django.db import DatabaseError, transaction

    revision = Revision.objects.filter(kind="item", current=True).first()
    with pytest.raises(DatabaseError, match="不可修改"), transaction.atomic():
        Revision.objects.filter(pk=revision.pk).update(data={"tampered": True})
    with pytest.raises(DatabaseError, match="不可修改"), transaction.atomic():
        Revision.objects.filter(pk=revision.pk).update(reason="改写历史")
    Revision.objects.filter(pk=revision.pk).update(withdrawn=True)  # withdrawal is allowed
    revision.refresh_from_db()
    assert revision.withdrawn and revision.data["code"] == revision.code
