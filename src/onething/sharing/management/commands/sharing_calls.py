"""``onething sharing-calls export FILE [--from N] [--to N] [--since DATE] [--until DATE]`` writes
a slice of the gateway's call log with its anchor; ``onething sharing-calls verify FILE``
checks such a file offline (no database is read); ``onething sharing-calls verify`` checks the
whole stored chain."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onething.sharing import calllog


def _day(value: str | None):
    if not value:
        return None
    try:
        return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(value), dt.time()))
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


class Command(BaseCommand):
    help = "共享调用记录：export FILE 导出一段（可离线校验）；verify [FILE] 校验导出文件或整条链"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "verify"])
        parser.add_argument("file", nargs="?")
        parser.add_argument("--from", dest="first", type=int)
        parser.add_argument("--to", dest="last", type=int)
        parser.add_argument("--since", help="起始日期（含）YYYY-MM-DD")
        parser.add_argument("--until", help="截止日期（不含）YYYY-MM-DD")

    def handle(self, action, file, first, last, since, until, **options):
        if action == "export":
            if not file:
                raise CommandError("请指定导出文件")
            document = calllog.export_slice(first, last, since=_day(since), until=_day(until))
            Path(file).write_text(calllog.dumps(document), encoding="utf-8")
            self.stdout.write(f"已导出 {len(document['records'])} 条调用记录到 {file}")
            return
        if file:
            try:
                document = json.loads(Path(file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取 {file}：{exc}") from None
            problem = calllog.verify_slice(document)
            if problem:
                raise CommandError(f"校验未通过：{problem}")
            self.stdout.write(f"校验通过：{len(document.get('records') or [])} 条记录，链完整")
            return
        broken = calllog.verify()
        if broken is not None:
            raise CommandError(f"调用记录链在序号 {broken.sequence} 处断开（被修改、删除或调换）")
        self.stdout.write("调用记录链完整")
