"""The servers under test, each one uvicorn process (one worker) on 127.0.0.1, logging to
bench/results/, stopped when the block ends."""

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

from bench.client import HOST
from bench.database import DATA_DIR, ROOT, plain

RESULTS = ROOT / "bench" / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


GC_SERIES = re.compile(r'^python_gc_collections_total\{generation="(\d)"\} (\S+)$', re.M)


@dataclass
class Server:
    name: str
    port: int
    pid: int
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def collections(self) -> tuple[float, float, float] | None:
        """Garbage collections by generation so far, from the app's /metrics (None when the
        server has no such series: the bare handler, or code older than them)."""
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        found = dict(GC_SERIES.findall(text))
        if len(found) != 3:
            return None
        return float(found["0"]), float(found["1"]), float(found["2"])


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


@contextmanager
def uvicorn(name: str, factory: str, env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"server-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.log"
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--host", HOST,
        "--port", str(port), "--workers", "1", "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_ready(port, process, log)
        yield Server(name, port, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def graphql_server(
    url: str, name: str = "graphql", src: Path | None = None
) -> AbstractContextManager[Server]:
    """The real app, configured as a deployment would be, apart from the fixed key; with `src`,
    the bookwell package of another checkout (its src/ first on PYTHONPATH, this checkout's
    installed packages)."""
    env = {
        "DATABASE_URL": url,
        "BOOKWELL_SECRET_KEY": "bench",
        "BOOKWELL_DATA_DIR": str(DATA_DIR / "bench-data"),
        "BOOKWELL_SEED_DEMO_DATA": "false",
        # The bench books hundreds a second as one user from one address: measure the
        # booking path, not the rate limiter's refusals.
        "BOOKWELL_RATE_LIMITS": "false",
    }
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(src.resolve() / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    return uvicorn(name, "bookwell.app:create_app", env)


def bare_server(url: str) -> AbstractContextManager[Server]:
    return uvicorn("bare", "bench.bare:create_app", {"BENCH_BARE_DSN": plain(url)})
