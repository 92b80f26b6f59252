from django.apps import AppConfig

#: the URL prefixes of 12345's pages and APIs
SURFACE = ("/hotline/", "/open311/", "/api/v1/tickets", "/api/v1/hotline")


class HotlineConfig(AppConfig):
    name = "onething.hotline"
    label = "hotline"
    verbose_name = "12345与办不成事"

    def ready(self) -> None:
        from onething.core import text
        from onething.hotline import deadlines, machines, recurrences, rules  # noqa: F401 - they register themselves

        deadlines.register_clocks()
        recurrences.register_clocks()
        # 12345's field names on its pages and API; names no other app uses are also the
        # default elsewhere (a domain call outside a request), shared ones are never changed
        text.register_surface(SURFACE, rules.LABELS)
        for field, name in rules.LABELS.items():
            text.LABELS.setdefault(field, name)
