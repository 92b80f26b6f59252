"""``onething rebuild-rating-facts``: recompute the 好差评 projection (``RatingFact``) from the
ratings and their rectifications, replacing every row, in one transaction."""

from django.core.management.base import BaseCommand

from onething.ratings.projection import rebuild


class Command(BaseCommand):
    help = "根据评价和差评整改记录重建好差评统计投影（RatingFact）"

    def handle(self, **options):
        count = rebuild()
        self.stdout.write(f"好差评统计投影已重建：{count} 行")
