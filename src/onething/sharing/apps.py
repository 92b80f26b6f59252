from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "onething.sharing"
    label = "sharing"
    verbose_name = "数据共享"

    def ready(self) -> None:
        from onething.sharing import deadlines, machines, providers  # noqa: F401 - they register themselves

        providers.load_builtin()
        deadlines.register_clocks()
