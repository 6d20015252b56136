"""`bookwell serve` as a real process, for the tests of the command and of its shutdown."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.support.ports import free_port

BOOKWELL = str(Path(sys.executable).with_name("bookwell"))


class Serve:
    def __init__(self, args: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(
            [BOOKWELL, "serve", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,  # unbuffered: what select() says is waiting is all there is
        )
        self.output = ""

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            # readline alone would wait for ever on a server that prints nothing more
            if not select.select([self.process.stdout], [], [], left)[0]:
                break
            line = self.process.stdout.readline().decode(errors="replace")
            if not line and self.process.poll() is not None:
                break
            self.output += line
            if found := re.search(pattern, self.output):
                return found
        raise AssertionError(f"never printed {pattern!r}:\n{self.output}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.finish(timeout=60)

    def finish(self, timeout: float) -> int:
        """Waits for the process to end, its last output read; its exit code."""
        rest, _ = self.process.communicate(timeout=timeout)
        self.output += rest.decode(errors="replace")
        return self.process.returncode


def serve_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | extra


TWICE_STARTED = r"(Started server process \[\d+\][\s\S]*){2}"
TWICE_COMPLETE = r"(Application startup complete[\s\S]*){2}"


def serve_two_workers(
    tmp_path: Path, database_url: str, *args: str, **env: str
) -> tuple[Serve, int, list[int]]:
    """`bookwell serve --workers 2` on a free port, without Redis or SMTP, once both workers
    have started: the server, its port and the workers' pids."""
    port = free_port()
    environment = serve_env(
        DATABASE_URL=database_url,
        BOOKWELL_DATA_DIR=str(tmp_path / "data"),
        BOOKWELL_SEED_DEMO_DATA="false",
        **env,
    )
    environment = {k: v for k, v in environment.items() if k not in ("REDIS_URL", "SMTP_URL")}
    serve = Serve(["--port", str(port), "--workers", "2", *args], environment)
    serve.wait_for("Uvicorn running on http://127.0.0.1:" + str(port), timeout=180)
    # the two workers' lines interleave in any order: two of each
    serve.wait_for(TWICE_STARTED, timeout=240)
    serve.wait_for(TWICE_COMPLETE, timeout=240)
    workers = [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", serve.output)]
    assert len(set(workers)) == 2
    assert all(psutil.Process(pid).ppid() == serve.process.pid for pid in workers)
    return serve, port, workers


def answered_by(port: int, workers: list[int], request: bytes) -> tuple[int, bytes]:
    """Sends `request` (HTTP/1.1, answered with a Content-Length) on a new connection: the
    worker whose socket took it, and the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += _received(connection)
        head, body = answer.split(b"\r\n\r\n", 1)
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        assert length is not None, head
        while len(body) < int(length[1]):
            body += _received(connection)
        mine = connection.getsockname()[1]
        for pid in workers:
            for held in psutil.Process(pid).net_connections(kind="tcp"):
                if held.laddr.port == port and held.raddr and held.raddr.port == mine:
                    return pid, head + b"\r\n\r\n" + body
    raise AssertionError(f"no worker holds the connection from port {mine}")


def _received(connection: socket.socket) -> bytes:
    chunk = connection.recv(65536)
    assert chunk, "the server closed the connection before answering in full"
    return chunk
