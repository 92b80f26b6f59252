from django.apps import AppConfig


class HallsConfig(AppConfig):
    name = "onething.halls"
    label = "halls"
    verbose_name = "大厅与窗口"

    def ready(self) -> None:
        from onething.halls import machines  # noqa: F401 - registers the machines
