"""``onething sharing-report [--json]`` — the three-lists report (and the 免提交 audit)."""

import json

from django.core.management.base import BaseCommand

from onething.sharing.lists import report, report_lines


class Command(BaseCommand):
    help = "三张清单比对：有需求无供给、有供给无人用、责任未落实，以及可免提交而仍要求提交的材料"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="以 JSON 输出")

    def handle(self, **options):
        data = report()
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        for line in report_lines(data):
            self.stdout.write(line)
