"""Load the demo catalog, accounts and every capability's demo data (``make run`` calls it;
safe to repeat). It lives in the web layer because it calls every app's ``demo`` module."""

from importlib import resources

from django.core.management.base import BaseCommand

from onething.catalog.exchange import import_document


class Command(BaseCommand):
    help = "载入演示目录（岳阳市）、演示账号和各项能力的演示数据；可重复执行"

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-ratings",
            action="store_true",
            help="不载入好差评演示（张三的待评价办件与生成的四个月评价）；测试基线使用",
        )
        parser.add_argument(
            "--without-hotline",
            action="store_true",
            help="不载入12345演示（知识库、生成的四个月工单与红黄牌）；测试基线使用",
        )

    def handle(self, **options):
        import json

        text = resources.files("onething.catalog").joinpath("demo/demo-catalog.json").read_text("utf-8")
        report = import_document(json.loads(text), reason="载入演示目录")
        self.stdout.write(f"演示目录：{report.summary()}")
        from onething.accounts.demo import create_demo_accounts

        for line in create_demo_accounts():
            self.stdout.write(line)
        from onething.halls.demo import create_demo_halls

        for line in create_demo_halls():
            self.stdout.write(line)
        from onething.sharing.demo import create_demo_sharing

        for line in create_demo_sharing():
            self.stdout.write(line)
        from onething.licences.demo import create_demo_licences

        for line in create_demo_licences():
            self.stdout.write(line)
        if not options["without_ratings"]:
            from onething.ratings.demo import create_demo_ratings

            for line in create_demo_ratings():
                self.stdout.write(line)
        if not options["without_hotline"]:
            from onething.hotline.demo import create_demo_hotline

            for line in create_demo_hotline():
                self.stdout.write(line)
