"""Publication (发布) of catalog records and reading what is published.

Publishing validates the record with the same rules as import, then writes an immutable
:class:`~onething.catalog.models.Revision` and makes it current. The public side of the
platform reads only current revisions through :func:`current` and friends.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from onething.catalog import normalize, records
from onething.catalog.models import Bundle, Item, PublishState, Revision
from onething.catalog.validation import Fault, Known, validate_catalog
from onething.directory.models import Department, Region

LIST_OF_KIND = {kind: list_name for list_name, kind in normalize.KIND_OF_LIST.items()}


class PublishError(Exception):
    def __init__(self, faults: list[Fault]):
        self.faults = faults
        super().__init__("；".join(str(f) for f in faults))


def known_from_database(item_codes: set[str] | None = None) -> Known:
    """References that already exist (working records of the reference kinds, current items)."""
    from onething.catalog.models import DataElement, MaterialType

    known = Known(
        regions=dict(Region.objects.values_list("code", "level")),
        departments=set(Department.objects.values_list("code", flat=True)),
        materials=set(MaterialType.objects.values_list("code", flat=True)),
        data_elements=set(DataElement.objects.values_list("key", flat=True)),
    )
    item_qs = Revision.objects.filter(kind="item", current=True)
    if item_codes is not None:
        item_qs = item_qs.filter(code__in=item_codes)
    known.items = {code: data for code, data in item_qs.values_list("code", "data")}
    return known


def record_revision(kind: str, data: dict, author=None, reason: str = "") -> Revision | None:
    """Store ``data`` as the new current revision unless it equals the current one."""
    key = normalize.KEY_OF_KIND[kind]
    code = data[key]
    previous = Revision.objects.select_for_update().filter(kind=kind, code=code, current=True).first()
    if previous is not None and previous.data == data:
        return None
    version = (Revision.objects.filter(kind=kind, code=code).aggregate(v=Max("version"))["v"] or 0) + 1
    if previous is not None:
        previous.current = False
        previous.save(update_fields=["current"])
    return Revision.objects.create(
        kind=kind, code=code, version=version, data=data, author=author, reason=reason[:500] or "发布"
    )


def publish(kind: str, code: str, author=None, reason: str = "") -> Revision | None:
    """Publish the working record ``kind``/``code``; raises :class:`PublishError` when invalid."""
    data = records.working_record(kind, code)
    if data is None:
        raise PublishError([Fault(kind, code, "", "记录不存在")])
    document = {"format": "onething-catalog/1", LIST_OF_KIND[kind]: [normalize.strip_for_export(kind, data)]}
    member_codes = {m["item"] for m in data.get("members", [])} if kind == "bundle" else set()
    faults = validate_catalog(document, known_from_database(member_codes))
    if kind == "bundle":
        unpublished = sorted(
            member_codes
            - set(
                Revision.objects.filter(kind="item", current=True, code__in=member_codes).values_list(
                    "code", flat=True
                )
            )
        )
        faults += [Fault("bundle", code, "members", f"成员事项 {c} 尚未发布") for c in unpublished]
    if faults:
        raise PublishError(faults)
    with transaction.atomic():
        revision = record_revision(kind, data, author, reason)
        model = {"item": Item, "bundle": Bundle}.get(kind)
        if model is not None:
            model.objects.filter(pk=code).update(state=PublishState.PUBLISHED)
    return revision


# ---------------------------------------------------------------- reading the published catalog


def current(kind: str, code: str) -> dict | None:
    """The published record, or ``None`` when it was never published."""
    return (
        Revision.objects.filter(kind=kind, code=code, current=True, withdrawn=False)
        .values_list("data", flat=True)
        .first()
    )


def current_many(kind: str, codes: list[str] | set[str] | None = None) -> dict[str, dict]:
    qs = Revision.objects.filter(kind=kind, current=True, withdrawn=False)
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    return dict(qs.values_list("code", "data"))


def current_version(kind: str, code: str) -> int | None:
    return (
        Revision.objects.filter(kind=kind, code=code, current=True).values_list("version", flat=True).first()
    )


def history(kind: str, code: str) -> list[Revision]:
    return list(Revision.objects.filter(kind=kind, code=code).select_related("author").order_by("-version"))
