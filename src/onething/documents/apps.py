from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "onething.documents"
    label = "documents"
    verbose_name = "文书"
