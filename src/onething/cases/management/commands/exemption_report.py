"""``onething exemption-report``: 免提交率 per bundle and item, planned and achieved."""

import datetime as dt
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from onething.cases.exemption_report import report


class Command(BaseCommand):
    help = "按一件事和事项统计免提交率（计划与实际）"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="只统计最近若干天的申请")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, **options):
        since = timezone.now() - dt.timedelta(days=options["days"]) if options["days"] else None
        rows = report(since)
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=1))
            return
        self.stdout.write("类型\t编码\t名称\t申请数\t材料数\t免提交\t实际免提交\t计划免提交率\t实际免提交率")
        for r in rows:
            kind = "一件事" if r.kind == "bundle" else "事项"
            self.stdout.write(
                f"{kind}\t{r.code}\t{r.name}\t{r.applications}\t{r.materials}\t{r.exempt}\t{r.obtained}"
                f"\t{r.planned_rate:.1%}\t{r.achieved_rate:.1%}"
            )
