from django.apps import AppConfig


class HotlineConfig(AppConfig):
    name = "onething.hotline"
    label = "hotline"
    verbose_name = "12345与办不成事"

    def ready(self) -> None:
        from onething.hotline import deadlines, machines, recurrences  # noqa: F401 - they register themselves

        deadlines.register_clocks()
        recurrences.register_clocks()
