"""``onething rebuild-search-index``: recreate the search index from the published catalog."""

from django.core.management.base import BaseCommand

from onething.search.index import rebuild


class Command(BaseCommand):
    help = "根据已发布的事项和一件事重建搜索索引"

    def handle(self, **options):
        count = rebuild()
        self.stdout.write(f"搜索索引已重建：{count} 条")
