"""Load a year's official schedule from a small JSON file.

Format::

    {"year": 2027, "source": "国务院办公厅通知",
     "holidays": [["2027-01-01", "元旦"], ...],     # days off (weekdays among them matter)
     "workdays": [["2027-02-20", "春节调休"], ...]}  # make-up working days on weekends
"""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from onething.calendar.service import load_year


class Command(BaseCommand):
    help = "从 JSON 文件载入某年的节假日与调休安排"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, file, **options):
        try:
            with open(file, encoding="utf-8") as fh:
                data = json.load(fh)
            year = int(data["year"])
            holidays = [(dt.date.fromisoformat(d), n) for d, n in data.get("holidays", [])]
            workdays = [(dt.date.fromisoformat(d), n) for d, n in data.get("workdays", [])]
            load_year(year, holidays, workdays, source=data.get("source", file))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"日历文件无效：{exc}")
        self.stdout.write(f"已载入 {year} 年：{len(holidays)} 个节假日，{len(workdays)} 个调休上班日")
