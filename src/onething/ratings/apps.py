from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "onething.ratings"
    label = "ratings"
    verbose_name = "好差评"

    def ready(self) -> None:
        from onething.ratings import deadlines, machines  # noqa: F401 - they register themselves

        deadlines.register_clocks()
