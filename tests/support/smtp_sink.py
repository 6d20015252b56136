"""A real SMTP server for tests (aiosmtpd on a free port) that keeps what it receives."""

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        # Tests may slow the server down to catch a worker mid-batch.
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


class SmtpSink:
    """`url` to hand to SMTP_URL; `messages` received so far; `wait_for` polls."""

    def __init__(self) -> None:
        self._keeper = _Keeper()
        self.port = free_port()
        self._controller = Controller(self._keeper, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._keeper.lock:
            return list(self._keeper.messages)

    def slow_down(self, seconds: float) -> None:
        self._keeper.delay = seconds

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def wait_for(
        self, predicate: Callable[[list[EmailMessage]], bool], within: float = 30.0
    ) -> list[EmailMessage]:
        """Poll without blocking the event loop (the relay may be running in it)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            messages = self.messages
            if predicate(messages):
                return messages
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out; {len(self.messages)} message(s) arrived")
