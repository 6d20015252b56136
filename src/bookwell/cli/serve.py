"""`bookwell serve`: the API with everything it needs, embedded unless configured."""

import asyncio
import contextlib
import signal
from typing import TypedDict

import click

from bookwell.cli.support import database_url, redis_url, with_db
from bookwell.core.config import Settings
from bookwell.core.db import Database, describe


@click.command()
@click.option("--host", help="Interface to bind (default 127.0.0.1, or BOOKWELL_HOST).")
@click.option("--port", type=int, help="Port (default 8000, or BOOKWELL_PORT).")
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
@click.option(
    "--background/--no-background",
    default=None,
    help="Run the outbox relay, a worker and the scheduler in this process, on REDIS_URL "
    "or an embedded Redis (default: on in embedded mode, off when DATABASE_URL is set).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="API processes (default 1, or BOOKWELL_WORKERS), each with its own database pool; "
    "the background work runs once, in the parent process.",
)
def serve(
    host: str | None,
    port: int | None,
    access_log: bool,
    background: bool | None,
    workers: int | None,
) -> None:
    """Start the API: database (embedded unless DATABASE_URL is set), migrations, demo data
    on first start, and GraphQL with GraphiQL on http://HOST:PORT/graphql. In embedded mode
    also Redis, the outbox relay, a worker and the scheduler: emails land in .bookwell/mail."""
    import uvicorn

    from bookwell.app import create_app
    from bookwell.cli import seed
    from bookwell.core import migrate

    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
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
                await seed.seed(db, settings=settings)
            return await demo_token(db, settings)

        token = with_db(url, prepare)
        click.echo(f"\n  Bookwell API:  http://{host}:{port}/graphql  (GraphiQL in a browser)")
        if token:
            click.echo(f"  Demo API token ({seed.DEMO_EMAIL}): {token}")
            click.echo(f"  Send it as the header  Authorization: Bearer {token}\n")
        work = _background_work(settings, url, queue_url) if queue_url else None
        if work is not None and not settings.smtp_url:
            click.echo(f"  Emails are written to {settings.mail_path.resolve()}/ (set SMTP_URL)\n")
        options = uvicorn_options(settings, host, port, access_log=access_log)
        if workers > 1:
            from bookwell.cli import serve_workers

            serve_workers.run(settings, url, queue_url, work, workers=workers, options=options)
        else:
            app = create_app(serve_settings(settings, queue_url), database_url=url, background=work)
            # uvicorn handles SIGTERM while it runs (a graceful stop), then raises it again
            # for the handler it found: that must not end the process before the cleanup here.
            signal.signal(signal.SIGTERM, _stopped)
            # uvicorn annotates timeout_graceful_shutdown as int, but hands it to asyncio's
            # wait_for as is: seconds as a float are right (Settings.graceful_shutdown_seconds).
            uvicorn.run(app, **options)  # type: ignore[arg-type]
    click.echo("Stopped.")


async def demo_token(db: Database, settings: Settings) -> str | None:
    """The demo user's API token to print: the one printed before (kept in
    <data_dir>/demo_token, readable by this user only) while it still signs in, else a new
    one, kept there in its place. None without a demo user."""
    from bookwell.cli import seed
    from bookwell.flows import accounts

    kept = settings.data_dir / "demo_token"
    if kept.exists():
        token = kept.read_text().strip()
        if token and await accounts.live_api_token(db, token):
            return token
    user_id = await seed.demo_user_id(db)
    if user_id is None:
        return None
    created = await accounts.create_api_token(db, user_id=user_id, name="bookwell serve")
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.touch(mode=0o600)
    kept.chmod(0o600)
    kept.write_text(created.token + "\n")
    return created.token


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


class UvicornOptions(TypedDict):
    """The keyword arguments of `uvicorn.run` that `serve` sets."""

    host: str
    port: int
    access_log: bool
    log_level: str
    log_config: None
    timeout_graceful_shutdown: float
    timeout_keep_alive: float
    proxy_headers: bool
    http: type[asyncio.Protocol]


def uvicorn_options(
    settings: Settings, host: str, port: int, *, access_log: bool
) -> UvicornOptions:
    from bookwell.cli.request_heads import head_deadline_protocol

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
        # uvicorn's parser (httptools, C; h11 parses in Python), with a deadline on request
        # heads (cli/request_heads.py); httptools bounds a head's size itself.
        "http": head_deadline_protocol(settings.head_timeout_seconds),
        # An idle keep-alive connection is closed after this long (a body being received is
        # bounded by the app: http/body_limits.py).
        "timeout_keep_alive": settings.keep_alive_seconds,
        # Not uvicorn's: it trusts 127.0.0.1 (or FORWARDED_ALLOW_IPS) by default. The app
        # reads forwarded headers itself, from BOOKWELL_FORWARDED_ALLOW_IPS only (app.py).
        "proxy_headers": False,
    }


def _background_work(settings: Settings, db_url: str, queue_url: str):
    from bookwell.services.payments import build_provider
    from bookwell.workers.background import BackgroundWork
    from bookwell.workers.scheduler import run_scheduler

    provider = build_provider(settings)

    def scheduler(db: Database, stop: asyncio.Event):
        return run_scheduler(db, settings, provider, stop=stop)

    return BackgroundWork(settings, database_url=db_url, redis_url=queue_url, scheduler=scheduler)
