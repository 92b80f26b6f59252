from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "onething.federation"
    label = "federation"
    verbose_name = "跨省通办节点"
