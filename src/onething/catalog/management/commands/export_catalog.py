"""``onething export-catalog FILE`` — export the published catalog (.json or .xlsx)."""

from django.core.management.base import BaseCommand, CommandError

from onething.catalog.exchange import export_file


class Command(BaseCommand):
    help = "导出已发布的事项目录（按扩展名选择 JSON 或 .xlsx）"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--working", action="store_true", help="导出工作副本（含未发布的修改）")

    def handle(self, file, working, **options):
        try:
            document = export_file(file, published_only=not working)
        except ValueError as exc:  # text Excel cannot store (control characters), named by the writer
            raise CommandError(f"导出失败：{exc}")
        except OSError as exc:
            raise CommandError(f"无法写入 {file}：{exc.strerror or exc}")
        counts = "，".join(f"{k} {len(v)}" for k, v in document.items() if isinstance(v, list))
        self.stdout.write(f"已导出到 {file}：{counts}")
