from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "onething.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from onething.notifications import routing
        from onething.notifications.models import EventChannel

        post_save.connect(routing.changed, sender=EventChannel, dispatch_uid="notifications.channels.saved")
        post_delete.connect(
            routing.changed, sender=EventChannel, dispatch_uid="notifications.channels.deleted"
        )
