"""Development channel: writes the message to the log (personal numbers masked by the log filter)."""

import logging

from onething.notifications.registry import Backend, Message, register

logger = logging.getLogger("onething.notifications")


@register("console")
class ConsoleBackend(Backend):
    label = "控制台"

    def send(self, message: Message) -> None:
        logger.info(
            "通知 %s → 用户%s：%s %s", message.event, message.recipient_id, message.title, message.body
        )
