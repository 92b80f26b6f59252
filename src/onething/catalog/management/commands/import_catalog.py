"""``onething import-catalog FILE`` — import a catalog file (JSON exchange format or .xlsx)."""

from django.core.management.base import BaseCommand, CommandError

from onething.catalog.exchange import CatalogRejected, import_file


class Command(BaseCommand):
    help = "导入事项目录文件（JSON 交换格式或 .xlsx）；文件有任何错误则整体拒绝"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--reason", default=None, help="变更原因（记入发布历史）")
        parser.add_argument("--check", action="store_true", help="只校验，不导入")

    def handle(self, file, reason, check, **options):
        from onething.catalog.exchange import read_document, validate_document

        try:
            if check:
                faults = validate_document(read_document(file))
                if faults:
                    raise CatalogRejected(faults)
                self.stdout.write("校验通过")
                return
            report = import_file(file, reason=reason)
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{file}")
        except CatalogRejected as exc:
            for fault in exc.faults:
                self.stderr.write(str(fault))
            raise CommandError(str(exc))
        self.stdout.write(f"导入完成。{report.summary()}")
