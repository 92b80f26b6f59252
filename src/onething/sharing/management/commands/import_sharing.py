"""``onething import-sharing FILE --reason "…" [--user USERNAME]`` — import the sharing catalog."""

from django.core.management.base import BaseCommand, CommandError

from onething.sharing.exchange import SharingRejected, import_file


class Command(BaseCommand):
    help = "导入数据共享目录（数据资源及需求、责任、负面清单；JSON 或 .xlsx）；文件有任何错误则整体拒绝"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--reason", required=True, help="变更原因（记入数据资源的版本）")
        parser.add_argument("--user", default=None, help="记为变更人的用户名")

    def handle(self, file, reason, user, **options):
        from onething.accounts.models import User

        author = None
        if user:
            author = User.objects.filter(username=user).first()
            if author is None:
                raise CommandError(f"用户不存在：{user}")
        try:
            report = import_file(file, reason=reason, user=author)
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{file}") from None
        except IsADirectoryError:
            raise CommandError(f"不是文件：{file}") from None
        except SharingRejected as exc:
            for fault in exc.faults:
                self.stderr.write(str(fault))
            raise CommandError(str(exc)) from None
        self.stdout.write(f"导入完成。{report.summary()}")
        for code, version in report.versions:
            self.stdout.write(f"  数据资源 {code} → 第 {version} 版")
