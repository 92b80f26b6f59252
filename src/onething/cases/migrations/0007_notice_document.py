"""Notices become verifiable documents (``onething.documents``).

Each existing notice gets a ``Document`` with the notice's own id and the SAME token, so every
QR code already printed (``/cases/verify/<token>/``) still verifies. The SHA-256 of the stored
renderings moves to the document, and the stored files move from ``MEDIA_ROOT/notices/`` to
``MEDIA_ROOT/documents/`` (after the commit; a file left behind is rendered again on its next
download, from the unchanged content). Reversible: going back restores the tokens, digests and
files on the notices and removes their documents.
"""

import os
from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models, transaction

from onething.kernel.hashchain import canonical

LABELS = {
    "acceptance": "受理通知书",
    "rejection": "不予受理决定书",
    "correction": "补正材料通知书",
    "gaps": "容缺受理告知书",
    "completion": "办结通知书",
}
AUDIENCES = {"owner": "pdf_sha256_owner", "others": "pdf_sha256_others"}
BATCH = 500


def _sha256(content) -> str:
    import hashlib

    return hashlib.sha256(canonical(content)).hexdigest()


def _move_files(moves, source: str, target: str) -> None:
    media = Path(settings.MEDIA_ROOT)
    for pk, audience in moves:
        name = f"{pk}-{audience}.pdf"
        if (media / source / name).exists():
            (media / target).mkdir(parents=True, exist_ok=True)
            os.replace(media / source / name, media / target / name)


def _flush_deferred_checks(schema_editor) -> None:
    """PostgreSQL refuses to ALTER a table with pending deferred FK checks in the transaction."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def to_documents(apps, schema_editor):
    Notice = apps.get_model("cases", "Notice")
    Document = apps.get_model("documents", "Document")
    db = schema_editor.connection.alias
    batch, moves = [], []
    notices = Notice.objects.using(db).select_related("application").order_by("created_at")
    for notice in notices.iterator(chunk_size=BATCH):
        renderings = {a: getattr(notice, f) for a, f in AUDIENCES.items() if getattr(notice, f)}
        moves += [(notice.pk, audience) for audience in renderings]
        batch.append(
            Document(
                id=notice.pk,
                kind=f"cases.notice.{notice.kind}",
                number=notice.number,
                title=f"{LABELS.get(notice.kind, '文书')}（{notice.application.name}）"[:200],
                issuer=notice.department_name,
                issued_on=notice.issued_on,
                content_sha256=_sha256(notice.content),
                token=notice.token,
                owner=f"cases.application:{notice.application.number}",
                renderings=renderings,
                created_at=notice.created_at,
            )
        )
        if len(batch) >= BATCH:
            Document.objects.using(db).bulk_create(batch)
            batch = []
    Document.objects.using(db).bulk_create(batch)
    Notice.objects.using(db).update(document_id=models.F("id"))
    _flush_deferred_checks(schema_editor)
    transaction.on_commit(lambda: _move_files(moves, "notices", "documents"), using=db)


def to_notices(apps, schema_editor):
    Notice = apps.get_model("cases", "Notice")
    Document = apps.get_model("documents", "Document")
    db = schema_editor.connection.alias
    moves, batch = [], []
    for notice in Notice.objects.using(db).select_related("document").iterator(chunk_size=BATCH):
        document = notice.document
        notice.token = document.token
        for audience, field in AUDIENCES.items():
            setattr(notice, field, document.renderings.get(audience, ""))
            if document.renderings.get(audience):
                moves.append((notice.pk, audience))
        batch.append(notice)
        if len(batch) >= BATCH:
            Notice.objects.using(db).bulk_update(batch, ["token", *AUDIENCES.values()])
            batch = []
    Notice.objects.using(db).bulk_update(batch, ["token", *AUDIENCES.values()])
    Notice.objects.using(db).update(document=None)
    Document.objects.using(db).filter(kind__startswith="cases.notice.").delete()
    _flush_deferred_checks(schema_editor)
    transaction.on_commit(lambda: _move_files(moves, "documents", "notices"), using=db)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_inspection_status"),
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="document",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notice",
                to="documents.document",
                verbose_name="可核验文书",
            ),
        ),
        # nullable and not unique while it goes, so that going back can re-add and refill it
        migrations.AlterField(
            model_name="notice", name="token", field=models.CharField(max_length=43, null=True)
        ),
        migrations.RunPython(to_documents, to_notices),
        migrations.RemoveField(model_name="notice", name="token"),
        migrations.RemoveField(model_name="notice", name="pdf_sha256_owner"),
        migrations.RemoveField(model_name="notice", name="pdf_sha256_others"),
        migrations.AlterField(
            model_name="notice",
            name="document",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notice",
                to="documents.document",
                verbose_name="可核验文书",
            ),
        ),
    ]
