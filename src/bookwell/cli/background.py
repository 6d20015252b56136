"""`bookwell expire-holds | scheduler | worker | outbox status | outbox requeue-dead`: the
work beside the API."""

import asyncio
import faulthandler
import signal
import sys
from datetime import UTC, datetime, timedelta

import click

from bookwell.cli.support import database_url, redis_url, servers_required, until_signalled, with_db
from bookwell.core.config import Settings
from bookwell.core.db import Database


@click.command(name="expire-holds")
def expire_holds_command() -> None:
    """Expire overdue holds, refund paid ones, and offer freed units to waitlists (once)."""
    from bookwell.services.payments import build_provider
    from bookwell.workers.sweeps import sweep_holds

    settings = Settings()
    with database_url(settings) as url:
        report = with_db(url, lambda db: sweep_holds(db, build_provider(settings)))
        click.echo(
            f"Expired {report.expired} hold(s), refunded {report.refunded}, "
            f"made {report.offered} waitlist offer(s)."
        )


@click.command()
@click.option("--once", is_flag=True, help="Run every job once now and exit.")
def scheduler(once: bool) -> None:
    """Run scheduled work until SIGINT/SIGTERM: expire holds, check stays in and out,
    warn of expiring holds, queue reminders, purge old idempotency keys. Any number may
    run; one leads at a time (a PostgreSQL advisory lock)."""
    from bookwell.services.payments import build_provider
    from bookwell.workers.scheduler import run_scheduler, tick

    settings = Settings()
    provider = build_provider(settings)
    with database_url(settings) as url:
        if once:
            report = with_db(url, lambda db: tick(db, settings, provider))
            click.echo(report.summary())
            if report.failed:
                raise click.ClickException(f"Failed (see the log): {', '.join(report.failed)}.")
            return

        async def run(db: Database) -> None:
            stop = asyncio.Event()
            signalled = asyncio.create_task(until_signalled())
            signalled.add_done_callback(lambda _: stop.set())
            click.echo(f"Scheduler running (a tick every {settings.scheduler_tick_seconds} s).")
            try:
                await run_scheduler(db, settings, provider, stop=stop)
            finally:
                signalled.cancel()

        with_db(url, run)
    click.echo("Stopped.")


@click.command()
@click.option("--threads", type=int, help="Worker threads (default 4, or BOOKWELL_WORKER_THREADS).")
@click.option("--relay/--no-relay", default=True, show_default=True, help="Also run the relay.")
def worker(threads: int | None, relay: bool) -> None:
    """Run a Dramatiq worker (emails, availability checks) and the outbox relay until
    SIGINT/SIGTERM; running messages finish, the rest go back to the queue."""
    from bookwell.workers.background import BackgroundWork

    settings = Settings()
    if threads:
        settings = settings.model_copy(update={"worker_threads": threads})
    servers_required(settings, "worker")
    db_url, queue_url = settings.database_url, settings.redis_url
    assert db_url and queue_url

    from bookwell.workers.background import STOP_DEADLINE_SECONDS

    # `kill -USR1 <pid>` prints every thread's stack: where a busy or stuck worker is.
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)

    async def run() -> None:
        work = BackgroundWork(settings, database_url=db_url, redis_url=queue_url, relay=relay)
        await work.start()
        click.echo(f"Worker running ({settings.worker_threads} threads, relay {relay}).")
        await until_signalled()
        click.echo("Stopping: letting running messages finish ...")
        # A stop that outlasts its bound is stuck somewhere: print every thread's stack (the
        # why) and exit 1, rather than keep a deploy or a supervisor waiting for ever. What
        # the worker had not acknowledged goes back to the queue as a dead worker's would.
        faulthandler.dump_traceback_later(STOP_DEADLINE_SECONDS, exit=True, file=sys.stderr)
        await work.stop()
        faulthandler.cancel_dump_traceback_later()

    asyncio.run(run())
    click.echo("Stopped.")


@click.group()
def outbox() -> None:
    """The notification outbox and its queue."""


@outbox.command(name="status")
def outbox_status_command() -> None:
    """Outbox backlog, queue depths and dead letters (messages that failed for good)."""
    from bookwell.workers.broker import build_broker, close_broker
    from bookwell.workers.status import outbox_status

    settings = Settings()
    with database_url(settings) as url, redis_url(settings) as queue_url:
        broker = build_broker(settings, queue_url)
        try:
            status = with_db(
                url,
                lambda db: outbox_status(
                    db,
                    broker,
                    max_relays=settings.max_relays,
                    grace=timedelta(seconds=settings.relay_loss_check_seconds),
                ),
            )
        finally:
            close_broker(broker)
    oldest = status.oldest_unrelayed.isoformat() if status.oldest_unrelayed else "-"
    click.echo(f"Outbox:  {status.unrelayed} waiting for the relay (oldest {oldest})")
    click.echo(f"         {status.relayed} relayed, {status.not_done} of them not done yet:")
    click.echo(
        f"           {status.in_progress} in progress (message in the queue; "
        f"oldest relayed {_ago(status.oldest_in_progress)})"
    )
    click.echo(
        f"           {status.lost} lost (no message in Redis; oldest relayed "
        f"{_ago(status.oldest_lost)}): the relay sends them again"
    )
    click.echo(f"           {status.dead_lettered} dead-lettered")
    click.echo(f"         {status.given_up} given up after {settings.max_relays} relays")
    click.echo(f"         {status.notifications_sent} notifications sent")
    for queue, depth in status.queued.items():
        click.echo(f"Queue {queue}: {depth} message(s) waiting")
    click.echo(f"Parked with dead workers: {status.parked} message(s), requeued by the workers")
    click.echo(f"Redis up since {status.redis_started_at:%Y-%m-%d %H:%M:%S}Z")
    click.echo(f"Dead letters: {len(status.dead)}")
    for dead in status.dead:
        click.echo(
            f"  {dead.died_at:%Y-%m-%d %H:%M:%S}Z {dead.queue} {dead.actor}{dead.args} "
            f"after {dead.retries} retries: {dead.error}"
        )


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return f"{(datetime.now(UTC) - moment).total_seconds():.0f} s ago"


@outbox.command(name="requeue-dead")
def outbox_requeue_dead() -> None:
    """Send every dead letter again (after fixing what made it fail)."""
    from bookwell.workers.broker import build_broker, close_broker
    from bookwell.workers.status import requeue_dead

    settings = Settings()
    with redis_url(settings) as queue_url:
        broker = build_broker(settings, queue_url)
        try:
            click.echo(f"Requeued {requeue_dead(broker)} dead letter(s).")
        finally:
            close_broker(broker)


COMMANDS = (expire_holds_command, scheduler, worker, outbox)
