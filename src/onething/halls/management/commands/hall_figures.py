"""``onething hall-figures --hall CODE [--from DATE] [--to DATE] [--xlsx FILE]``: a hall's
window figures for a period (durations in minutes, rates in per cent)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onething.core.errors import Refused
from onething.directory.models import Hall
from onething.halls import figures


class Command(BaseCommand):
    help = "统计大厅窗口数据（等候、办理、逗留时长，过号率、转移率），可导出 Excel"

    def add_arguments(self, parser):
        parser.add_argument("--hall", required=True, help="大厅编号")
        parser.add_argument("--from", dest="first", default=None, help="起始日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--to", dest="last", default=None, help="截止日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--xlsx", default=None, help="导出 Excel 文件路径")

    def handle(self, **options):
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise CommandError(f"未找到大厅 {options['hall']}")
        try:
            first, last = figures.period(options["first"], options["last"])
        except Refused as exc:
            raise CommandError(exc.message) from None
        data = figures.report([hall], first, last)
        if options["xlsx"]:
            Path(options["xlsx"]).write_bytes(figures.xlsx([hall], first, last, data=data))
            self.stdout.write(f"已导出 {options['xlsx']}")
        self.stdout.write(f"{hall.name} {first} 至 {last}")
        labels = [label for _, label in figures.COLUMNS]
        for key, caption, head, name in figures.TABLES:
            if key == "halls":
                continue
            self.stdout.write(f"\n{caption}")
            self.stdout.write("\t".join([head, *labels]))
            names = {hall.code: hall.name}
            for row in data[key]:
                cells = [c["value"] for c in figures.shown(row)]
                self.stdout.write("\t".join([name(row, names), *cells]))
        self.stdout.write("\n合计")
        for cell in figures.shown(data["totals"]):
            self.stdout.write(f"{cell['label']}\t{cell['value']}")
