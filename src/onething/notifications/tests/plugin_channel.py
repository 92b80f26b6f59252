"""A channel registered by a deployment's own module (``ONETHING_NOTIFY_MODULES``), for tests."""

from onething.notifications.registry import Backend, Message, register

SENT: list[int | None] = []


@register("carrier-pigeon")
class CarrierPigeon(Backend):
    label = "信鸽（测试）"

    def send(self, message: Message) -> None:
        SENT.append(message.id)
