"""站内消息: stores the message in the recipient's inbox."""

from onething.core.rows import insert_rows
from onething.notifications.models import Notification
from onething.notifications.registry import Backend, Message, register


@register("inbox")
class InboxBackend(Backend):
    label = "站内消息"

    def send(self, message: Message) -> None:
        Notification.objects.create(
            recipient_id=message.recipient_id,
            event=message.event,
            title=message.title,
            body=message.body,
            link=message.link,
        )

    def send_many(self, messages: list[Message]) -> None:
        """All messages of one transaction in one INSERT (one statement: no BEGIN/COMMIT)."""
        insert_rows(
            [
                Notification(
                    recipient_id=m.recipient_id, event=m.event, title=m.title, body=m.body, link=m.link
                )
                for m in messages
            ]
        )
