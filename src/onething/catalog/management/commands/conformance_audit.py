"""``onething conformance-audit`` — list implementations that deviate from the standard."""

from django.core.management.base import BaseCommand

from onething.catalog.conformance import audit
from onething.catalog.publishing import current_many


class Command(BaseCommand):
    help = "同一事项标准化比对（五级十二同）：列出与省级标准不一致的实施清单"

    def add_arguments(self, parser):
        parser.add_argument("--basic-code", default=None)

    def handle(self, basic_code, **options):
        items = current_many("item").values()
        if basic_code:
            items = [i for i in items if i["basic_code"] == basic_code]
        findings = audit(items)
        for f in findings:
            self.stdout.write(str(f))
        self.stdout.write(f"共 {len(findings)} 处不一致")
