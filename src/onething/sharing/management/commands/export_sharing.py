"""``onething export-sharing FILE`` — export the sharing catalog (.json or .xlsx)."""

from django.core.management.base import BaseCommand, CommandError

from onething.sharing.exchange import LIST_NAMES, export_file


class Command(BaseCommand):
    help = "导出数据共享目录（数据资源及需求、责任、负面清单；按扩展名选择 JSON 或 .xlsx）"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, file, **options):
        try:
            document = export_file(file)
        except ValueError as exc:  # text Excel cannot store, named by the writer
            raise CommandError(f"导出失败：{exc}") from None
        except OSError as exc:
            raise CommandError(f"无法写入 {file}：{exc.strerror or exc}") from None
        counts = "，".join(f"{LIST_NAMES[k]} {len(v)}" for k, v in document.items() if isinstance(v, list))
        self.stdout.write(f"已导出到 {file}：{counts}")
