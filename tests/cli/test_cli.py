"""The `bookwell` command line, against a fresh test database.

The commands call asyncio.run themselves, so these tests are synchronous and check the
database with short asyncio.run blocks of their own."""

import asyncio
import itertools
import os
import re
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import make_url

from bookwell.app import create_app
from bookwell.cli import main
from bookwell.core.config import Settings
from tests.support.database import admin_execute, plain_url, with_database
from tests.support.graphql_client import GraphQLClient
from tests.support.keys import TEST_SECRET_KEY
from tests.support.lifespan import started

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_names = itertools.count()


@pytest.fixture
def cli_database(server_url: str, template_url: str):
    """A fresh migrated database (the async `database_url` fixture needs a running loop)."""
    name = f"bookwell_cli_{os.getpid()}_{next(_names)}"
    template = make_url(template_url).database
    asyncio.run(admin_execute(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield with_database(server_url, name)
    asyncio.run(admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def cli(cli_database: str, tmp_path: Path):
    env = {"DATABASE_URL": cli_database, "BOOKWELL_DATA_DIR": str(tmp_path)}
    runner = CliRunner(env=env)

    def invoke(*args: str):
        return runner.invoke(main, list(args))

    return invoke


def assert_refused(result, message: str) -> None:
    """A clean refusal: exit code 1 and a message, not a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert message in result.output


def fetch(url: str, query: str, *args):
    async def run():
        connection = await asyncpg.connect(plain_url(url))
        try:
            return await connection.fetch(query, *args)
        finally:
            await connection.close()

    return asyncio.run(run())


HELP = {
    (): ["serve", "migrate", "seed", "token", "user", "schema", "--verbose"],
    ("serve",): ["--host", "--port", "--access-log"],
    ("migrate",): ["--revision"],
    ("seed",): ["--force"],
    ("token",): ["create", "list", "revoke"],
    ("token", "create"): ["--email", "--name", "--expires-in-days"],
    ("token", "list"): ["--email"],
    ("token", "revoke"): ["--email", "--id"],
    ("user",): ["create"],
    ("user", "create"): ["--email", "--name", "--admin", "--host", "--password"],
    ("schema",): ["SDL"],
    ("expire-holds",): ["waitlist"],
    ("worker",): ["--threads", "--relay"],
    ("scheduler",): ["--once"],
    ("outbox",): ["status", "requeue-dead"],
    ("outbox", "status"): ["dead letters"],
}


@pytest.mark.parametrize("command", HELP, ids=lambda c: " ".join(c) or "main")
def test_help(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    for word in HELP[command]:
        assert word in result.output


def test_schema_prints_sdl():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert "type Query {" in result.output
    assert "type Mutation {" in result.output


def test_migrate_an_already_migrated_database(cli, cli_database):
    before = fetch(cli_database, "SELECT version_num FROM alembic_version")
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    assert "to head" in result.output
    assert fetch(cli_database, "SELECT version_num FROM alembic_version") == before


def test_user_create_admin(cli, cli_database):
    result = cli("user", "create", "--email", "a@b.co", "--name", "A", "--admin")
    assert result.exit_code == 0, result.output
    assert "ADMIN" in result.output
    rows = fetch(
        cli_database, "SELECT name, role, password_hash FROM users WHERE email = $1", "a@b.co"
    )
    assert [tuple(row) for row in rows] == [("A", "ADMIN", None)]


def test_user_create_refuses_a_taken_email(cli):
    assert cli("user", "create", "--email", "a@b.co", "--name", "A").exit_code == 0
    result = cli("user", "create", "--email", "A@B.co", "--name", "Other")
    assert_refused(result, "has an account already")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "not-an-email", "--name", "A"], "Not an email address."),
        (["--email", "a@b.co", "--name", " "], "A name needs 1 to 200 characters."),
        (["--email", "a@b.co", "--name", "A", "--password", "short"], "A password needs"),
    ],
)
def test_user_create_refuses_bad_input(cli, cli_database, args, message):
    assert_refused(cli("user", "create", *args), message)
    assert fetch(cli_database, "SELECT count(*) FROM users")[0][0] == 0


def test_user_create_with_password_can_log_in(cli, cli_database):
    args = ["--email", "p@b.co", "--name", "P", "--password", "long enough"]
    assert cli("user", "create", *args).exit_code == 0
    stored = fetch(cli_database, "SELECT password_hash FROM users WHERE email = 'p@b.co'")
    assert stored[0][0].startswith("$argon2id$")


def test_token_create_prints_a_token_that_authenticates(cli, cli_database, tmp_path):
    assert cli("user", "create", "--email", "a@b.co", "--name", "A", "--host").exit_code == 0
    result = cli("token", "create", "--email", "a@b.co")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert UUID.match(token), result.output

    async def me():
        settings = Settings(
            database_url=cli_database,
            data_dir=tmp_path,
            secret_key=TEST_SECRET_KEY,
        )
        app = create_app(settings)
        async with started(app) as app:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                client = GraphQLClient(http)
                return (await client("{ me { name role } }", token=token)).data["me"]

    assert asyncio.run(me()) == {"name": "A", "role": "HOST"}
    stored = fetch(cli_database, "SELECT name FROM api_tokens")
    assert [row["name"] for row in stored] == ["cli"]


def test_token_create_for_an_unknown_email(cli, cli_database):
    result = cli("token", "create", "--email", "nobody@b.co")
    assert_refused(result, "No user nobody@b.co")
    assert not UUID.search(result.output)
    assert fetch(cli_database, "SELECT count(*) FROM api_tokens")[0][0] == 0


def test_token_create_with_a_blank_name(cli, cli_database):
    assert cli("user", "create", "--email", "a@b.co", "--name", "A").exit_code == 0
    result = cli("token", "create", "--email", "a@b.co", "--name", " ")
    assert_refused(result, "A token name needs 1 to 200 characters.")
    assert fetch(cli_database, "SELECT count(*) FROM api_tokens")[0][0] == 0


def test_seed_loads_once(cli, cli_database):
    result = cli("seed")
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    listings = fetch(cli_database, "SELECT count(*) FROM listings")[0][0]
    reservations = fetch(cli_database, "SELECT count(*) FROM reservations")[0][0]
    users = fetch(cli_database, "SELECT count(*) FROM users")[0][0]
    assert listings > 0 and reservations > 0

    again = cli("seed")
    assert again.exit_code == 0, again.output
    assert "nothing loaded" in again.output
    assert fetch(cli_database, "SELECT count(*) FROM listings")[0][0] == listings
    assert fetch(cli_database, "SELECT count(*) FROM reservations")[0][0] == reservations

    more = cli("seed", "--force")  # more listings for the same demo users
    assert more.exit_code == 0, more.output
    assert fetch(cli_database, "SELECT count(*) FROM listings")[0][0] == 2 * listings
    assert fetch(cli_database, "SELECT count(*) FROM users")[0][0] == users


def test_seed_has_a_past(cli, cli_database):
    """Stays that happened (paid, checked out, most reviewed) and guests with phones, so
    reports, reviews and customers show figures on a first start."""
    assert cli("seed").exit_code == 0
    (past,) = fetch(
        cli_database,
        """SELECT count(*) FILTER (WHERE r.end_date < current_date AND r.status = 'COMPLETED'
                                     AND p.status = 'PAID' AND r.checked_out_at IS NOT NULL),
                  count(v.id), (SELECT count(*) FROM users WHERE phone LIKE '+%')
             FROM reservations r LEFT JOIN payments p ON p.reservation_id = r.id
             LEFT JOIN reviews v ON v.reservation_id = r.id""",
    )
    stays, reviewed, phones = past
    assert stays >= 20 and reviewed >= 10 and phones >= 5
    assert fetch(cli_database, "SELECT count(*) FROM outbox")[0][0] == 0  # nobody emailed


def test_api_token_is_random_uuid4(cli):
    assert cli("user", "create", "--email", "a@b.co", "--name", "A").exit_code == 0
    tokens = {cli("token", "create", "--email", "a@b.co").output.strip() for _ in range(3)}
    assert len(tokens) == 3
    assert all(uuid.UUID(token).version == 4 for token in tokens)


def test_expire_holds_after_seed(cli, cli_database):
    """The seed leaves some holds unpaid; once overdue, one sweep expires exactly those."""
    assert cli("seed").exit_code == 0
    fetch(
        cli_database,
        "UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE status = 'PENDING'",
    )
    pending = fetch(cli_database, "SELECT count(*) FROM reservations WHERE status = 'PENDING'")
    assert pending[0][0] > 0
    result = cli("expire-holds")
    assert result.exit_code == 0, result.output
    assert f"Expired {pending[0][0]} hold(s)" in result.output
    left = fetch(cli_database, "SELECT count(*) FROM reservations WHERE status = 'PENDING'")
    assert left[0][0] == 0
    assert "Expired 0 hold(s)" in cli("expire-holds").output


def test_worker_needs_real_servers(tmp_path):
    env = {"DATABASE_URL": "", "REDIS_URL": "", "BOOKWELL_DATA_DIR": str(tmp_path)}
    result = CliRunner(env=env).invoke(main, ["worker"])
    assert_refused(result, "needs DATABASE_URL and REDIS_URL")


def test_outbox_status_after_seed(cli_database, tmp_path, redis_server_url, queue_namespace):
    env = {
        "DATABASE_URL": cli_database,
        "REDIS_URL": redis_server_url,
        "BOOKWELL_QUEUE_NAMESPACE": queue_namespace,
        "BOOKWELL_DATA_DIR": str(tmp_path),
    }
    runner = CliRunner(env=env)
    assert runner.invoke(main, ["seed"]).exit_code == 0
    result = runner.invoke(main, ["outbox", "status"])
    assert result.exit_code == 0, result.output
    # Demo data is history: the seed leaves nothing for anyone to be emailed about.
    assert "0 waiting for the relay" in result.output
    assert "Dead letters: 0" in result.output
    assert "Requeued 0 dead letter(s)." in runner.invoke(main, ["outbox", "requeue-dead"]).output
