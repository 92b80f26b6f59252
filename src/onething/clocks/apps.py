from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "onething.clocks"
    label = "clocks"
    verbose_name = "时限计时"
