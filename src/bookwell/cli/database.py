"""`bookwell migrate | seed`: the database's schema and the demo data."""

import click

from bookwell.cli.support import database_url, with_db
from bookwell.core.config import Settings
from bookwell.core.db import Database, describe


@click.command(name="migrate")
@click.option("--revision", default="head", show_default=True)
def migrate_command(revision: str) -> None:
    """Run database migrations (Alembic) up to REVISION."""
    from bookwell.core import migrate

    with database_url(Settings()) as url:
        migrate.upgrade(url, revision)
        click.echo(f"Migrated {describe(url)} to {revision}.")


@click.command(name="seed")
@click.option("--force", is_flag=True, help="Add demo data even if listings exist.")
def seed_command(force: bool) -> None:
    """Load the demo data set (hosts, ~20 listings, a few hundred reservations)."""
    from bookwell.cli import seed
    from bookwell.core import migrate

    settings = Settings()
    with database_url(settings) as url:
        migrate.upgrade(url)

        async def run(db: Database) -> bool:
            if not force and not await seed.is_empty(db):
                return False
            await seed.seed(db, settings=settings)
            return True

        if with_db(url, run):
            click.echo(f"Demo data loaded. Sign in as {seed.DEMO_EMAIL} / {seed.DEMO_PASSWORD}.")
        else:
            click.echo("Listings exist already; nothing loaded (use --force to add more).")
