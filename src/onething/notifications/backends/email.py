"""Email (电子邮件) through Django's configured email backend."""

from django.core.mail import send_mail

from onething.notifications.registry import Backend, Message, register


@register("email")
class EmailBackend(Backend):
    label = "电子邮件"

    def send(self, message: Message) -> None:
        if message.email:
            send_mail(f"【一件事】{message.title}", message.body, None, [message.email], fail_silently=True)
