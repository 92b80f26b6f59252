from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "onething.directory"
    label = "directory"
    verbose_name = "区划与部门"
