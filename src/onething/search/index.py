"""Keeping the search index in step with the published catalog.

Only current, not withdrawn item and bundle revisions are indexed. Publication updates the
index through the ``post_save`` signal on :class:`~onething.catalog.models.Revision` (see
:mod:`onething.search.signals`); :func:`rebuild` recreates everything from the current
revisions (``onething rebuild-search-index``). Texts no document uses any more are deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from onething.catalog.models import Revision
from onething.search import backends, pinyin
from onething.search.documents import Names, build
from onething.search.models import SearchDocument, SearchText

INDEXED_KINDS = ("item", "bundle")
FIELDS = [
    f.name for f in SearchDocument._meta.concrete_fields if f.name not in ("id", "kind", "code", "text")
]


def _current(kinds=INDEXED_KINDS, **filters) -> list[tuple[str, dict, int]]:
    rows = Revision.objects.filter(kind__in=kinds, current=True, withdrawn=False, **filters)
    return list(rows.values_list("kind", "data", "version"))


def _save_text(text: SearchText) -> SearchText:
    saved, _ = SearchText.objects.get_or_create(
        signature=text.signature,
        defaults={f.name: getattr(text, f.name) for f in SearchText._meta.concrete_fields if f.name != "id"},
    )
    return saved


def _drop_orphans(text_ids: Iterable[int]) -> None:
    SearchText.objects.filter(pk__in=list(text_ids), documents__isnull=True).delete()


def index_record(kind: str, data: dict, version: int = 0) -> SearchDocument:
    """Index (or re-index) one published record."""
    document = build(kind, data, Names.load([(kind, data)]), version)
    values = {name: getattr(document, name) for name in FIELDS}
    values["text"] = _save_text(document.text)
    previous = SearchDocument.objects.filter(kind=kind, code=data["code"]).values_list("text_id", flat=True)
    old_texts = list(previous)
    saved, _ = SearchDocument.objects.update_or_create(kind=kind, code=data["code"], defaults=values)
    _drop_orphans(t for t in old_texts if t != saved.text_id)
    pinyin.forget()
    return saved


def unindex(kind: str, code: str, version: int | None = None) -> int:
    """Remove a record from the index (only the given version, when one is named)."""
    qs = SearchDocument.objects.filter(kind=kind, code=code)
    if version is not None:
        qs = qs.filter(version=version)
    texts = list(qs.values_list("text_id", flat=True))
    deleted = qs.delete()[0]
    _drop_orphans(texts)
    pinyin.forget()
    return deleted


def reindex_where(**filters) -> int:
    """Re-index the documents matching ``filters`` (e.g. after a department was renamed)."""
    keys = list(SearchDocument.objects.filter(**filters).values_list("kind", "code"))
    count = 0
    for kind in INDEXED_KINDS:
        codes = [code for k, code in keys if k == kind]
        for _, data, version in _current((kind,), code__in=codes):
            index_record(kind, data, version)
            count += 1
    return count


def bulk_load(documents: list[SearchDocument], batch_size: int = 2000) -> None:
    """Insert built documents and their (deduplicated) texts into an empty index."""
    texts: dict[str, SearchText] = {}
    for document in documents:
        document.text = texts.setdefault(document.text.signature, document.text)
    SearchText.objects.bulk_create(list(texts.values()), batch_size=batch_size)
    for document in documents:
        document.text_id = document.text.pk
    SearchDocument.objects.bulk_create(documents, batch_size=batch_size)
    pinyin.forget()


def rebuild() -> int:
    """Recreate the whole index from the current revisions; returns the number of documents."""
    rows = _current()
    names = Names.load((kind, data) for kind, data, _ in rows)
    documents = [build(kind, data, names, version) for kind, data, version in rows]
    with transaction.atomic():
        backends.get().prepare()
        SearchDocument.objects.all().delete()
        SearchText.objects.all().delete()
        bulk_load(documents)
    return len(documents)
