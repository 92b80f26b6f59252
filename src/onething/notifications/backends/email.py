"""Email (电子邮件) through Django's configured email backend.

Failures raise (the outbox retries them). Each message carries ``Message-ID:
<onething-outbox-ID@host>``, the same on every attempt, so a mail system that deduplicates by
Message-ID delivers a retried message once.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from onething.notifications.registry import Backend, Message, Undeliverable, register


def _host() -> str:
    return urlsplit(settings.PUBLIC_URL).hostname or "localhost"


@register("email")
class EmailBackend(Backend):
    label = "电子邮件"
    needs = "email"

    def send(self, message: Message) -> None:
        if not message.email:
            raise Undeliverable("接收人没有电子邮箱")
        text = message.body
        if message.link:
            text = (
                f"{text}\n\n{settings.PUBLIC_URL}{message.link}"
                if text
                else f"{settings.PUBLIC_URL}{message.link}"
            )
        headers = {"Message-ID": f"<onething-outbox-{message.id}@{_host()}>"} if message.id else {}
        EmailMessage(f"【一件事】{message.title}", text, None, [message.email], headers=headers).send(
            fail_silently=False
        )
