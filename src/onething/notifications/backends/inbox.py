"""站内消息: the recipient's inbox, written in the transaction of the change it reports.

The inbox is the durable store itself, so it does not go through the outbox: the row commits
(or rolls back) with the change, exactly once. Nothing sends it later, so nothing can send
it twice.
"""

from onething.notifications.registry import Backend, Message, register


@register("inbox")
class InboxBackend(Backend):
    label = "站内消息"
    #: written by ``service.notify`` in the caller's transaction, never by a delivery run
    in_transaction = True

    def send(self, message: Message) -> None:
        raise RuntimeError("站内消息随业务事务写入，不经发件箱投递")
