"""Index maintenance on publication: a receiver of ``post_save`` on ``Revision``.

``record_revision`` first marks the previous revision not current (an update of ``current``
only) and then creates the new one, so the receiver drops the superseded version and indexes
the new one in the same transaction as the publication — a rollback undoes both. A new
department or region revision (renaming) re-indexes the documents showing its name.

After ``migrate``, an empty index over a published catalog (a database that had its catalog
before the search app existed) is filled once, so no one has to remember the rebuild command.
"""

from __future__ import annotations

from onething.search import index


def on_revision_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    if raw:  # loading fixtures: the rebuild command indexes afterwards
        return
    if instance.kind in index.INDEXED_KINDS:
        if instance.current and not instance.withdrawn:
            index.index_record(instance.kind, instance.data, instance.version)
        else:
            index.unindex(instance.kind, instance.code, version=instance.version)
    elif instance.kind == "department" and instance.current:
        index.reindex_where(department_code=instance.code)
    elif instance.kind == "region" and instance.current:
        index.reindex_where(region_code=instance.code)


def on_post_migrate(sender, using: str = "default", **kwargs) -> None:
    from onething.catalog.models import Revision
    from onething.search.models import SearchDocument

    if using != "default" or SearchDocument.objects.exists():
        return
    if Revision.objects.filter(kind__in=index.INDEXED_KINDS, current=True, withdrawn=False).exists():
        index.rebuild()
