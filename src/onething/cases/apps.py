from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "onething.cases"
    label = "cases"
    verbose_name = "办件"

    def ready(self) -> None:
        from onething.cases import deadlines, machines  # noqa: F401 - machines register themselves

        deadlines.register_clocks()
