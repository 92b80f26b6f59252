"""What the inbox does with each kind of envelope: a registry of handlers by ``kind``.

A handler is ``fn(envelope) -> None``, registered with ``@handler("case.status")``. The inbox
calls it inside the transaction that records the envelope (in a savepoint), so its effect
commits with the inbox row or not at all:

- it returns: the envelope is ``applied`` (a return value is ignored for now — receipts stay
  small);
- it raises :class:`Refused` (a business refusal, with a Chinese reason): the envelope is
  recorded ``refused`` with that reason, exactly once, the sender gets a ``refused`` receipt
  and does not retry; whatever the handler wrote before refusing is rolled back;
- it raises anything else: the whole delivery rolls back (no inbox row, sequence unchanged)
  and the endpoint answers 503, so the sender retries later.

An envelope of a kind with no handler is refused (``未知的报文类型``). Handlers of the case
kinds live beside the code they drive and register when their module is imported.
"""

from __future__ import annotations

from collections.abc import Callable

from onething.kernel.envelope import Envelope

Handler = Callable[[Envelope], object]

#: kind → handler
HANDLERS: dict[str, Handler] = {}


class Refused(Exception):
    """The envelope is well-formed and authentic, but this node will not act on it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``kind`` (one handler per kind)."""

    def register(fn: Handler) -> Handler:
        existing = HANDLERS.get(kind)
        if existing is not None and existing is not fn:
            raise ValueError(f"kind {kind!r} already has a handler: {existing!r}")
        HANDLERS[kind] = fn
        return fn

    return register


def handle(message: Envelope) -> None:
    """Run the handler of ``message.kind`` (:class:`Refused` when there is none)."""
    found = HANDLERS.get(message.kind)
    if found is None:
        raise Refused(f"未知的报文类型 {message.kind}：本节点不处理这种报文。")
    found(message)


@handler("node.ping")
def ping(message: Envelope) -> None:
    """A node-level message that only proves the path works: recorded, nothing else."""
