from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "onething.search"
    label = "search"
    verbose_name = "搜索"

    def ready(self) -> None:
        """Keep the index in step with publication (see :mod:`onething.search.signals`)."""
        from django.db.models.signals import post_migrate, post_save

        from onething.catalog.models import Revision
        from onething.search.signals import on_post_migrate, on_revision_saved

        post_save.connect(on_revision_saved, sender=Revision, dispatch_uid="search.index_revision")
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="search.fill_empty_index")
