from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "onething.licences"
    label = "licences"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from onething.licences import issuing, machines, provider, signers  # noqa: F401 - they register themselves

        signers.load_builtin()
