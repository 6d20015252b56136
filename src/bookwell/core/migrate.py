"""Alembic, driven from code: `bookwell migrate` and the first start of `bookwell serve`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

# The repository's migrations/ (the package is run from a checkout or the Docker image).
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates %; URLs may hold %-escapes (passwords, socket paths).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run from synchronous code only: Alembic's env.py runs its own event loop."""
    command.upgrade(alembic_config(url), revision)
