"""``onething repair-uploads`` — repair uploaded files stored with their first 16 bytes twice.

The upload code used to read 16 bytes to recognise the type, write them, and then write the
whole file again from its start: every stored upload began with its first 16 bytes twice, and
the recorded size and SHA-256 described those corrupted bytes. This command finds such files
and stores the original under its own content-addressed name.

A file is repaired only when all of this holds, so a genuine file is never touched:

- bytes 0–16 equal bytes 16–32;
- the file without its first 16 bytes is a valid file of the type its name says (the same
  structure checks as a new upload, ``onething.cases.uploads``);
- every material that references the file recorded exactly its size and SHA-256.

Files are shared by the materials with the same content, so every material that references a
repaired file is updated (path, sha256, size), each with its own audit record
(``application.repair_upload``, old and new hash). When the repaired content is already
stored (someone uploaded the file again after the fix), that file is reused. The corrupted file
is removed once no material references it. Dry run by default; ``--apply`` writes. A second
run finds nothing to do.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from onething.audit.log import record
from onething.cases import uploads
from onething.cases.models import Material, upload_name
from onething.kernel.errors import DomainError

HEAD = uploads.SNIFF_BYTES
ACTOR = "系统（repair-uploads）"


@dataclass
class Repair:
    """One corrupted stored file and what it becomes."""

    old_path: str
    old_sha256: str
    old_size: int
    new_path: str
    new_sha256: str
    new_size: int
    materials: list[Material]
    reuse: bool  # the repaired content is already stored under its name


@dataclass
class Skipped:
    """A stored upload left alone, and why."""

    path: str
    why: str


@dataclass
class Counts:
    checked: int = 0
    repaired: int = 0
    materials: int = 0
    unconfirmed: int = 0
    missing: int = 0


class Command(BaseCommand):
    help = "修复上传时文件头（前16字节）被重复写入的材料文件；默认试运行，--apply 执行修复"

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="执行修复（默认只列出将做的修改）")

    def handle(self, *args, apply: bool = False, **options):
        root = Path(settings.MEDIA_ROOT)
        counts = Counts()
        # one file at a time: a deployment's uploads never sit in memory together
        for found in survey_uploads(root, counts):
            if isinstance(found, Skipped):
                self.stdout.write(f"未处理 {found.path}：{found.why}")
                continue
            if apply:
                apply_repair(found, root)
            counts.repaired += 1
            counts.materials += len(found.materials)
            self.stdout.write(self._describe(found, apply))
        self.stdout.write(self._summary(counts, apply))

    @staticmethod
    def _describe(repair: Repair, apply: bool) -> str:
        which = "、".join(f"{m.application.number} {m.material} #{m.pk}" for m in repair.materials)
        verb = "已修复" if apply else "将修复"
        reuse = "（修复后的内容已存在，直接复用）" if repair.reuse else ""
        return (
            f"{verb} {repair.old_path} → {repair.new_path}{reuse}："
            f"{repair.old_size} → {repair.new_size} 字节，材料 {len(repair.materials)} 条（{which}）"
        )

    @staticmethod
    def _summary(counts: Counts, apply: bool) -> str:
        done = "已修复" if apply else "需修复"
        text = (
            f"共检查上传文件 {counts.checked} 个：{done} {counts.repaired} 个（材料 {counts.materials} 条），"
            f"疑似损坏但无法确认、未处理 {counts.unconfirmed} 个，文件缺失 {counts.missing} 个。"
        )
        if not apply and counts.repaired:
            text += "本次为试运行，未做任何修改；加 --apply 执行修复。"
        return text


def survey_uploads(root: Path, counts: Counts) -> Iterator[Repair | Skipped]:
    """Every stored upload, checked once (materials with the same content share a file):
    the repairs to make and the suspicious files left alone; ``counts`` keeps the tally."""
    paths = (
        Material.objects.filter(source="upload")
        .exclude(path="")
        .values_list("path", flat=True)
        .distinct()
        .order_by("path")
    )
    for path in list(paths):  # a snapshot: repairs change the paths while we go
        counts.checked += 1
        file = root / path
        if not file.is_file():
            counts.missing += 1
            yield Skipped(path, "文件缺失")
            continue
        if not duplicated_head(file):
            continue  # genuine: not even read whole
        found = plan_repair(path, file.read_bytes(), root)
        if isinstance(found, Skipped):
            counts.unconfirmed += 1
        yield found


def duplicated_head(file: Path) -> bool:
    """Bytes 0–16 equal bytes 16–32: the mark of the old upload code."""
    with file.open("rb") as fp:
        head = fp.read(2 * HEAD)
    return len(head) == 2 * HEAD and head[:HEAD] == head[HEAD:]


def plan_repair(path: str, data: bytes, root: Path) -> Repair | Skipped:
    """The repair of one file whose head is duplicated, or why it is left alone."""
    old_sha256 = hashlib.sha256(data).hexdigest()
    materials = list(Material.objects.select_related("application").filter(path=path).order_by("pk"))
    if any(m.sha256 != old_sha256 or m.size != len(data) for m in materials):
        return Skipped(path, "材料记录的大小或哈希与文件不符")
    repaired = data[HEAD:]
    extension = path.rsplit(".", 1)[-1]
    try:
        _content_type, found = uploads.check_bytes(repaired)
    except DomainError as exc:
        return Skipped(path, f"去掉重复的文件头后仍不是有效文件（{exc.message}）")
    if found != extension:
        return Skipped(path, f"去掉重复的文件头后类型为 {found}，与文件名不符")
    new_sha256 = hashlib.sha256(repaired).hexdigest()
    new_path = upload_name(new_sha256, extension)
    target = root / new_path
    if target.exists() and _sha256(target) != new_sha256:
        return Skipped(path, f"{new_path} 已存在但内容与修复结果不符")
    return Repair(
        old_path=path,
        old_sha256=old_sha256,
        old_size=len(data),
        new_path=new_path,
        new_sha256=new_sha256,
        new_size=len(repaired),
        materials=materials,
        reuse=target.exists(),
    )


def apply_repair(repair: Repair, root: Path) -> None:
    """Store the repaired file, move every reference to it, then drop the corrupted file.

    The new file is in place before the references move, and the old one goes only after
    the commit and only when nothing references it any more: at no moment does a material
    point to a missing file.
    """
    if not repair.reuse:
        data = (root / repair.old_path).read_bytes()
        if hashlib.sha256(data).hexdigest() != repair.old_sha256:
            raise RuntimeError(f"{repair.old_path} 在检查之后被改动")
        _write(root / repair.new_path, data[HEAD:])
    now = timezone.now()
    with transaction.atomic():
        materials = list(
            Material.objects.select_for_update(of=("self",))
            .select_related("application")
            .filter(path=repair.old_path, sha256=repair.old_sha256)
            .order_by("pk")
        )
        Material.objects.filter(pk__in=[m.pk for m in materials]).update(
            path=repair.new_path, sha256=repair.new_sha256, size=repair.new_size
        )
        for m in materials:
            record(
                "application.repair_upload",
                "application",
                m.application.number,
                actor=ACTOR,
                reason="修复上传时重复写入文件头的材料文件",
                data={
                    "material": m.material,
                    "material_id": m.pk,
                    "old_sha256": repair.old_sha256,
                    "new_sha256": repair.new_sha256,
                    "old_size": repair.old_size,
                    "new_size": repair.new_size,
                    "old_path": repair.old_path,
                    "new_path": repair.new_path,
                },
                at=now,
            )
    if not Material.objects.filter(path=repair.old_path).exists():
        (root / repair.old_path).unlink(missing_ok=True)


def _write(target: Path, data: bytes) -> None:
    """Write atomically: a reader sees no file or the whole file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".repair-", delete=False) as tmp:
        try:
            tmp.write(data)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, target)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as fp:
        for block in iter(lambda: fp.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
