"""The request id travels with the messages a request enqueues, as a Dramatiq message
option (`request_id`); a worker binds it, with the message id and the actor, to its log
context while it handles the message.

Outbox events are enqueued later by the relay, outside any request: the row keeps the id of
the request that recorded it (`outbox.request_id`) and the relay sets the option from it
(workers/background.py). Their actor also binds the outbox id and event (workers/actors.py).
"""

import contextvars
import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import dramatiq
from dramatiq.asyncio import async_to_sync
from sqlalchemy import select
from structlog.contextvars import bind_contextvars, get_contextvars, unbind_contextvars

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.models import OutboxMessage
from bookwell.observability.tracing import init_tracing, trace_messages

BOUND = ("request_id", "message_id", "actor")
P = ParamSpec("P")
R = TypeVar("R")


class MessageContext(dramatiq.Middleware):
    def before_enqueue(
        self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int
    ) -> None:
        request_id = get_contextvars().get("request_id")
        if request_id is not None and "request_id" not in message.options:
            message.options["request_id"] = request_id

    def before_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.MessageProxy
    ) -> None:
        unbind_contextvars(*BOUND)
        fields = {"message_id": message.message_id, "actor": message.actor_name}
        if message.options.get("request_id"):
            fields["request_id"] = message.options["request_id"]
        bind_contextvars(**fields)

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        unbind_contextvars(*BOUND)

    def after_skip_message(self, broker, message) -> None:
        unbind_contextvars(*BOUND)


async def _in_context(context: contextvars.Context, fn, args, kwargs) -> Any:
    for variable, value in context.items():
        variable.set(value)  # this task's own copy: nothing leaks to other messages
    return await fn(*args, **kwargs)


_run_in_context = async_to_sync(_in_context)


def carry_context(fn: Callable[P, Awaitable[R]]) -> Callable[P, R]:
    """Dramatiq runs an async actor on its event-loop thread, where the worker thread's
    context variables (the log context MessageContext bound, a trace span) are not
    visible: hand them over. Declare the actor with the result, a plain function, which
    Dramatiq calls on the worker thread."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return _run_in_context(contextvars.copy_context(), fn, args, kwargs)

    return call


def worker_middleware(settings: Settings) -> list[dramatiq.Middleware]:
    """MessageContext, and a span per message when tracing is on."""
    middleware: list[dramatiq.Middleware] = [MessageContext()]
    if init_tracing(settings):
        middleware.append(trace_messages())
    return middleware


async def outbox_event(db: Database, outbox_id: int) -> str | None:
    """The event of an outbox row, for the actor's log context (None: the row is gone)."""
    async with db.read() as session:
        return await session.scalar(
            select(OutboxMessage.event).where(OutboxMessage.id == outbox_id)
        )
