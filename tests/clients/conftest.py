"""Third-party clients against a live server: the app from create_app served by a real uvicorn
on a free loopback port, over a database of its own seeded with what the clients need, and
the Node clients of package-lock.json (installed by `npm ci` when node_modules is missing).

Without node and npm the Node tests skip, unless BOOKWELL_REQUIRE_CLIENTS=1 (CI), where they
fail instead.
"""

import asyncio
import itertools
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn
from starlette.types import ASGIApp

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.core.db import connect
from bookwell.graphql.listings.subscriptions import CHANNEL
from bookwell.models import Role
from tests import pooler
from tests.factories import make_listing, make_token, make_user
from tests.support.database import copy_template, drop_database
from tests.support.keys import TEST_SECRET_KEY
from tests.support.lifespan import StateKept

CLIENTS = Path(__file__).resolve().parent
NODE_MODULES = CLIENTS / "node_modules"
# Every wait is bounded: a deadline for something that must happen, never a measurement.
START_SECONDS = 30.0
NPM_CI_SECONDS = 600.0
SCRIPT_SECONDS = 180.0
# The listing the clients find by city: enough units for every test's bookings.
CITY = "Paris"
UNITS = 40
_windows = itertools.count()


def unavailable(reason: str) -> None:
    """Skip, or fail where the client tests must run (BOOKWELL_REQUIRE_CLIENTS=1)."""
    if os.environ.get("BOOKWELL_REQUIRE_CLIENTS") == "1":
        pytest.fail(f"{reason}, and BOOKWELL_REQUIRE_CLIENTS=1", pytrace=False)
    pytest.skip(reason)


def until(condition: Callable[[], bool], seconds: float = START_SECONDS) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, f"condition not met within {seconds} s"
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """An ASGI app served by uvicorn on its own thread and event loop, on a free loopback
    port, from `with` to its end."""

    def __init__(self, app: ASGIApp, name: str = "client-tests-uvicorn"):
        self.app = app
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=name, daemon=True
        )

    def __enter__(self) -> "ServedApp":
        self._thread.start()
        ends = time.monotonic() + START_SECONDS
        while not self._server.started:
            assert self._thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < ends, f"uvicorn did not start within {START_SECONDS} s"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(START_SECONDS)
        self._socket.close()
        assert not self._thread.is_alive(), "uvicorn did not stop"

    @property
    def graphql_url(self) -> str:
        return f"{self.base}/graphql"


@dataclass
class LiveServer:
    """The served app and what was seeded for the clients."""

    served: ServedApp
    database_url: str
    host_token: str
    listing_id: uuid.UUID  # in CITY, UNITS units

    @property
    def url(self) -> str:
        return self.served.base

    @property
    def graphql_url(self) -> str:
        return self.served.graphql_url

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.served.port}/graphql"

    def subscribers(self) -> int:
        """availabilityChanged subscriptions in place on the server now."""
        return self.served.app.listener.subscriber_count(CHANNEL)

    def new_guest_token(self) -> str:
        """A new guest and an API token for them: each test books as its own guest, within
        the per-principal booking limit."""

        async def make() -> str:
            db = connect(self.database_url, pool_size=1, max_overflow=0)
            try:
                return await make_token(db, await make_user(db, Role.GUEST, "Gus Guest"))
            finally:
                await db.dispose()

        return asyncio.run(make())


def live_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    """The test suite's settings (tests/conftest.py), for a server that lives longer."""
    fields: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET_KEY,
        "db_pool_size": 10,
        "db_max_overflow": 10,
        # LISTEN (subscriptions) on PostgreSQL itself when the run goes through a pooler.
        "direct_database_url": pooler.direct(database_url),
    }
    return Settings(**{**fields, **overrides})  # type: ignore[arg-type]


async def _seed(database_url: str) -> tuple[str, uuid.UUID]:
    db = connect(database_url, pool_size=2, max_overflow=0)
    try:
        host = await make_user(db, Role.HOST, "Hannah Host")
        listing = await make_listing(
            db,
            host,
            title="Canal Saint-Martin Flat",
            city=CITY,
            country="FR",
            timezone="Europe/Paris",
            currency="EUR",
            units=UNITS,
        )
        return await make_token(db, host), listing
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def live_server(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server for the client tests of the session, over its own migrated database."""
    name = f"bookwell_clients_{os.getpid()}"
    database_url = asyncio.run(copy_template(server_url, template_url, name))
    try:
        host_token, listing_id = asyncio.run(_seed(database_url))
        settings = live_settings(database_url, tmp_path_factory.mktemp("live-server"))
        with ServedApp(StateKept(create_app(settings))) as served:
            yield LiveServer(served, database_url, host_token, listing_id)
    finally:
        asyncio.run(drop_database(server_url, name))


@pytest.fixture
def live_guest_token(live_server: LiveServer) -> str:
    return live_server.new_guest_token()


@pytest.fixture
def stay_start() -> str:
    """A first night no other test of the session books: each test its own window."""
    return (date.today() + timedelta(days=60 + 7 * next(_windows))).isoformat()


@dataclass
class Node:
    """node, and the installed clients of tests/clients/package-lock.json."""

    executable: str

    def run(self, script: str, *args: str, timeout: float = SCRIPT_SECONDS) -> str:
        """Runs tests/clients/<script>; fails the test with its output unless it exits 0.
        Returns the output."""
        command = [self.executable, str(CLIENTS / script), *args]
        try:
            done = subprocess.run(
                command,
                cwd=CLIENTS,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as expired:
            output = _text(expired.stdout) + _text(expired.stderr)
            pytest.fail(f"{script} ran over {timeout} s:\n{output}", pytrace=False)
        output = done.stdout + done.stderr
        if done.returncode != 0:
            pytest.fail(
                f"{script} exited {done.returncode}:\n{_shown(command)}\n{output}", pytrace=False
            )
        print(output)  # shown with -rP, or when a later assertion fails
        return output


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def _shown(command: Sequence[str]) -> str:
    """The command, tokens masked: it goes into test reports."""
    masked, hide = [], False
    for part in command:
        masked.append("<token>" if hide else part)
        hide = part == "--token"
    return "$ " + " ".join(masked)


def _node_major(node: str) -> int:
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        return int(version.lstrip("v").split(".")[0])
    except (subprocess.SubprocessError, OSError, ValueError):
        return 0


def _installed_is_current() -> bool:
    """node_modules as `npm ci` left it for the committed lock (npm writes its own copy of
    the lock, .package-lock.json, as it installs)."""
    installed = NODE_MODULES / ".package-lock.json"
    lock = CLIENTS / "package-lock.json"
    return installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime


@pytest.fixture(scope="session")
def node() -> Node:
    """node (20 or later) with the clients installed; `npm ci` once when they are not."""
    executable, npm = shutil.which("node"), shutil.which("npm")
    if executable is None or npm is None:
        unavailable("no node/npm on PATH (apt-get install nodejs npm)")
    assert executable is not None and npm is not None
    major = _node_major(executable)
    if major < 20:
        unavailable(f"node {major or '?'} is too old: the clients need node 20 or later")
    if not _installed_is_current():
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=CLIENTS,
                capture_output=True,
                text=True,
                timeout=NPM_CI_SECONDS,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            unavailable(f"npm ci in {CLIENTS} ran over {NPM_CI_SECONDS} s")
        else:
            if done.returncode != 0:
                unavailable(f"npm ci in {CLIENTS} failed:\n{done.stdout}{done.stderr}")
    return Node(executable)
