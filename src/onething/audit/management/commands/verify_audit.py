"""``onething verify-audit`` — link pending records, then verify the audit hash chain; non-zero
exit on the first broken link (or on a pending record that cannot be linked)."""

from django.core.management.base import BaseCommand, CommandError

from onething.audit.log import verify_chain
from onething.audit.models import AuditRecord


class Command(BaseCommand):
    help = "校验审计日志哈希链，报告第一个断裂处"

    def handle(self, **options):
        broken = verify_chain()
        if broken is not None and broken.sequence is None:
            raise CommandError(
                f"审计记录 #{broken.pk} 未能链接入审计链（{broken.action} {broken.object_type}:{broken.object_id}）"
            )
        if broken is not None:
            raise CommandError(
                f"审计链在第 {broken.sequence} 条记录处断裂（{broken.action} {broken.object_type}:{broken.object_id}）"
            )
        self.stdout.write(f"审计链完整，共 {AuditRecord.objects.count()} 条记录")
