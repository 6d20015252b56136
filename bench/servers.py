"""The servers under test, each a uvicorn process on 127.0.0.1 (one worker, or a parent and
its N worker processes), logging to bench/results/, stopped when the block ends."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from bench.client import HOST
from bench.database import DATA_DIR, ROOT, plain
from bench.pgcpu import client_ports, process_cpu_seconds

RESULTS = ROOT / "bench" / "results"


GC_SERIES = re.compile(r'^python_gc_collections_total\{generation="(\d)"\} (\S+)$', re.M)


@dataclass
class Server:
    name: str
    port: int
    pid: int
    log: Path
    workers: int = 1

    def pids(self) -> list[int]:
        """The uvicorn process and its descendants (with --workers N, the parent only
        supervises: the N workers, its children, serve)."""
        return [self.pid, *descendants(self.pid)]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes so far."""
        return sum(process_cpu_seconds(pid) or 0.0 for pid in self.pids())

    def collections(self) -> tuple[float, float, float] | None:
        """Garbage collections by generation so far, from the app's /metrics (None when the
        server has no such series: the bare handler, or code older than them; or when it has
        several workers: each counts its own, and a scrape reaches any one)."""
        if self.workers > 1:
            return None
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        found = dict(GC_SERIES.findall(text))
        if len(found) != 3:
            return None
        return float(found["0"]), float(found["1"]), float(found["2"])


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except FileNotFoundError:  # the thread ended meanwhile
            continue
    return found


def descendants(pid: int) -> list[int]:
    found, todo = [], children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children(child)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout}s; see {log}")


def _wait_workers(server: Server, pg_port: int, log: Path, timeout: float = 60) -> None:
    """Until each of the N workers has connected to PostgreSQL (its lifespan has run): the
    first one answering /health says nothing of the others."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Not every child is a worker: multiprocessing's resource tracker is one too.
        connected = [pid for pid in children(server.pid) if client_ports(pid, pg_port)]
        if len(connected) >= server.workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{server.workers} workers not ready after {timeout}s; see {log}")


@contextmanager
def uvicorn(
    name: str, factory: str, env: dict[str, str], workers: int = 1, pg_port: int = 5432
) -> Iterator[Server]:
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"server-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.log"
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--host", HOST,
        "--port", str(port), "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(port, process, log)
        server = Server(name, port, process.pid, log, workers)
        if workers > 1:
            _wait_workers(server, pg_port, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def graphql_server(
    url: str, name: str = "graphql", src: Path | None = None, workers: int = 1
) -> AbstractContextManager[Server]:
    """The real app, configured as a deployment would be, apart from the fixed key; with `src`,
    the bookwell package of another checkout (its src/ first on PYTHONPATH, this checkout's
    installed packages); with `workers`, that many uvicorn worker processes sharing the one
    worker's pool size between them (20 + 20 overflow in all, 10 + 10 each of 2): the same
    connections to PostgreSQL, whose 100 a shared machine's other sessions need too."""
    env = {
        "DATABASE_URL": url,
        "BOOKWELL_SECRET_KEY": "bench",
        "BOOKWELL_DATA_DIR": str(DATA_DIR / "bench-data"),
        "BOOKWELL_SEED_DEMO_DATA": "false",
        # The bench books hundreds a second as one user from one address: measure the
        # booking path, not the rate limiter's refusals.
        "BOOKWELL_RATE_LIMITS": "false",
    }
    if workers > 1:
        env["BOOKWELL_DB_POOL_SIZE"] = str(max(1, 20 // workers))
        env["BOOKWELL_DB_MAX_OVERFLOW"] = str(20 // workers)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(src.resolve() / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    port = make_url(url).port or 5432
    return uvicorn(name, "bookwell.app:create_app", env, workers=workers, pg_port=port)


def bare_server(url: str) -> AbstractContextManager[Server]:
    return uvicorn("bare", "bench.bare:create_app", {"BENCH_BARE_DSN": plain(url)})
