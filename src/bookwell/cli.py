"""`bookwell serve | migrate | seed | token create | user create | schema`, and the
background commands of cli_background.py."""

import asyncio
import contextlib
import logging
import signal

import click

from bookwell.cli_background import COMMANDS
from bookwell.cli_support import database_url, redis_url, with_db
from bookwell.config import Settings
from bookwell.db import Database, describe
from bookwell.observability.setup import configure_observability


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Bookwell: a booking API behind one GraphQL endpoint."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    configure_observability(Settings(), verbose=verbose)  # JSON logs; Sentry, OTel if set


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
    # SIGTERM before the server runs stops like Ctrl-C: embedded servers are stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    if background is None:
        background = settings.database_url is None
    redis = redis_url(settings) if background else contextlib.nullcontext(None)
    with database_url(settings) as url, redis as queue_url:
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

        token = with_db(url, prepare)
        click.echo(f"\n  Bookwell API:  http://{host}:{port}/graphql  (GraphiQL in a browser)")
        if token:
            click.echo(f"  Demo API token ({seed.DEMO_EMAIL}): {token}")
            click.echo(f"  Send it as the header  Authorization: Bearer {token}\n")
        work = _background_work(settings, url, queue_url) if queue_url else None
        if work is not None and not settings.smtp_url:
            click.echo(f"  Emails are written to {settings.mail_path.resolve()}/ (set SMTP_URL)\n")
        app = create_app(serve_settings(settings, queue_url), database_url=url, background=work)
        # uvicorn handles SIGTERM while it runs (a graceful stop), then raises it again
        # for the handler it found: that must not end the process before the cleanup here.
        signal.signal(signal.SIGTERM, _stopped)
        uvicorn.run(app, **uvicorn_options(settings, host, port, access_log=access_log))
    click.echo("Stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stopped(signum: int, frame: object) -> None:
    """The server has already stopped on this signal."""


def serve_settings(settings: Settings, queue_url: str | None) -> Settings:
    """The app's settings: a Redis started here (embedded) serves the app as REDIS_URL
    would, so rate limits are shared through it and /readyz and /metrics watch it."""
    if queue_url is None or settings.redis_url == queue_url:
        return settings
    return settings.model_copy(update={"redis_url": queue_url})


def uvicorn_options(
    settings: Settings, host: str, port: int, *, access_log: bool
) -> dict[str, object]:
    return {
        "host": host,
        "port": port,
        "access_log": access_log,
        "log_level": "info",
        # No logging setup of uvicorn's own: its lines, the first ones included, go through
        # the handler configure_observability installed (JSON unless at a terminal).
        "log_config": None,
        # SIGTERM: stop accepting, let in-flight requests finish this long, then cancel them.
        "timeout_graceful_shutdown": settings.graceful_shutdown_seconds,
    }


def _background_work(settings: Settings, db_url: str, queue_url: str):
    from bookwell.services.payments import build_provider
    from bookwell.workers.background import BackgroundWork
    from bookwell.workers.scheduler import run_scheduler

    provider = build_provider(settings)

    def scheduler(db: Database, stop: asyncio.Event):
        return run_scheduler(db, settings, provider, stop=stop)

    return BackgroundWork(settings, database_url=db_url, redis_url=queue_url, scheduler=scheduler)


@main.command(name="migrate")
@click.option("--revision", default="head", show_default=True)
def migrate_command(revision: str) -> None:
    """Run database migrations (Alembic) up to REVISION."""
    from bookwell import migrate

    with database_url(Settings()) as url:
        migrate.upgrade(url, revision)
        click.echo(f"Migrated {describe(url)} to {revision}.")


@main.command(name="seed")
@click.option("--force", is_flag=True, help="Add demo data even if listings exist.")
def seed_command(force: bool) -> None:
    """Load the demo data set (hosts, ~20 listings, a few hundred reservations)."""
    from bookwell import migrate, seed

    with database_url(Settings()) as url:
        migrate.upgrade(url)

        async def run(db: Database) -> bool:
            if not force and not await seed.is_empty(db):
                return False
            await seed.seed(db)
            return True

        if with_db(url, run):
            click.echo(f"Demo data loaded. Sign in as {seed.DEMO_EMAIL} / {seed.DEMO_PASSWORD}.")
        else:
            click.echo("Listings exist already; nothing loaded (use --force to add more).")


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

    with database_url(Settings()) as url:

        async def run(db: Database) -> str | None:
            async with db.transaction() as session:
                user_id = await accounts.user_id_by_email(session=session, email=email)
                if user_id is None:
                    return None
                return await accounts.create_api_token(session=session, user_id=user_id, name=name)

        try:
            created = with_db(url, run)
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
    with database_url(Settings()) as url:

        async def run(db: Database):
            async with db.transaction() as session:
                return await accounts.create_user(
                    session=session, email=email, name=name, role=role, password=password
                )

        try:
            row = with_db(url, run)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"Created {row.role.value} {row.email} ({row.id}).")


@main.group()
def graphiql() -> None:
    """GraphiQL's files, served by Bookwell itself at /graphql."""


@graphiql.command(name="fetch")
def graphiql_fetch() -> None:
    """Download the pinned GraphiQL, React and ReactDOM npm tarballs, check their sha512 and
    keep the files the page needs in the cache (BOOKWELL_GRAPHIQL_ASSETS_DIR, default
    <data dir>/graphiql), so /graphql then works without network. Nothing is downloaded
    when they are there already."""
    from bookwell.graphiql import AssetCache, AssetsUnavailable

    settings = Settings()
    cache = AssetCache(settings.graphiql_assets_path, settings.graphiql_npm_registry)
    try:
        fetched = asyncio.run(cache.fetch())
    except AssetsUnavailable as error:
        raise click.ClickException(str(error)) from None
    for package in cache.packages:
        done = "downloaded" if package in fetched else "already there"
        click.echo(f"{package.name} {package.version}: {done}")
    click.echo(f"GraphiQL's files are in {cache.folder.resolve()}")


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from bookwell.schema.root import schema as built

    click.echo(built.as_str())


for command in COMMANDS:
    main.add_command(command)
