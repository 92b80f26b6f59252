"""``onething entry-report [--region CODE] [--missing]``: 进驻率 per region — the region's
published items, how many a window of a hall in the region accepts, the rate."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from onething.directory.models import Region
from onething.halls import entry


class Command(BaseCommand):
    help = "统计各区划事项进驻率（应进必进）"

    def add_arguments(self, parser):
        parser.add_argument("--region", default=None, help="区划代码（含下级）；默认全部")
        parser.add_argument("--missing", action="store_true", help="列出未进驻事项")

    def handle(self, **options):
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"未找到区划 {options['region']}")
        rows = entry.report(region)
        self.stdout.write("区划代码\t区划\t已发布事项\t已进驻\t进驻率\t大厅数")
        for r in rows:
            self.stdout.write(
                f"{r.region.code}\t{r.region.name}\t{len(r.items)}\t{len(r.offered)}\t{r.percent}\t{len(r.halls)}"
            )
        if options["missing"]:
            for r in rows:
                for item in r.missing:
                    self.stdout.write(f"未进驻\t{r.region.code}\t{item['code']}\t{item['name']}")
