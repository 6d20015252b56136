"""`bookwell token create | user create`: accounts made by the operator."""

import uuid
from datetime import UTC, datetime

import click

from bookwell.cli.support import database_url, with_db
from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.services.accounts.records import ApiTokenRecord, NewApiToken


@click.group()
def token() -> None:
    """API tokens."""


@token.command(name="create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, 3650),
    help="The token stops working this many days from now; omitted: when revoked.",
)
def token_create(email: str, name: str, expires_in_days: int | None) -> None:
    """Create an API token for a user and print it (it is shown only this once)."""
    from bookwell.core.errors import DomainError
    from bookwell.flows import accounts

    with database_url(Settings()) as url:

        async def run(db: Database) -> NewApiToken | None:
            return await accounts.create_api_token_for_email(
                db, email=email, name=name, expires_in_days=expires_in_days
            )

        try:
            created = with_db(url, run)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    if created is None:
        raise click.ClickException(f"No user {email}; create one with `bookwell user create`.")
    click.echo(created.token)
    if created.expires_at is not None:
        click.echo(f"expires {created.expires_at:%Y-%m-%d %H:%M} UTC", err=True)


@token.command(name="list")
@click.option("--email", required=True, help="Whose tokens.")
def token_list(email: str) -> None:
    """A user's API tokens (never their values): id, state, created, expires, name."""
    from bookwell.flows import accounts

    with database_url(Settings()) as url:
        tokens = with_db(url, lambda db: accounts.api_tokens_for_email(db, email=email))
    if tokens is None:
        raise click.ClickException(f"No user {email}.")
    now = datetime.now(UTC)
    for token in tokens:
        state = token_state(token, now)
        expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never"
        click.echo(
            f"{token.id}  {state:<7}  {token.created_at:%Y-%m-%d}  {expires:<10}  {token.name}"
        )


def token_state(token: ApiTokenRecord, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "live"


@token.command(name="revoke")
@click.argument("value", required=False)
@click.option("--email", help="Revoke every API token of this user instead.")
@click.option("--id", "token_id", type=click.UUID, help="Revoke the token with this id (`list`).")
def token_revoke(value: str | None, email: str | None, token_id: uuid.UUID | None) -> None:
    """Revoke an API token (a leaked one, say), by its value or its id, or with --email every
    token of a user: they stop working at once."""
    from bookwell.flows import accounts

    if sum(given is not None for given in (value, email, token_id)) != 1:
        raise click.UsageError("Give one of a TOKEN, --id or --email.")
    with database_url(Settings()) as url:
        if token_id is not None:
            if not with_db(url, lambda db: accounts.revoke_api_tokens_by_id(db, ids=[token_id])):
                raise click.ClickException("No such live API token.")
            click.echo("Revoked.")
            return
        if value is not None:
            if not with_db(url, lambda db: accounts.revoke_api_token(db, token=value)):
                raise click.ClickException("No such live API token.")
            click.echo("Revoked.")
            return
        assert email is not None
        count = with_db(url, lambda db: accounts.revoke_api_tokens_of(db, email=email))
    if count is None:
        raise click.ClickException(f"No user {email}.")
    click.echo(f"Revoked {count} API token(s) of {email}.")


@click.group()
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
    from bookwell.core.errors import DomainError
    from bookwell.flows import accounts
    from bookwell.models import Role

    role = Role.ADMIN if admin else Role.HOST if is_host else Role.GUEST
    with database_url(Settings()) as url:

        async def run(db: Database):
            return await accounts.create_user(
                db, email=email, name=name, role=role, password=password
            )

        try:
            row = with_db(url, run)
        except DomainError as error:
            raise click.ClickException(error.message) from None
    click.echo(f"Created {row.role.value} {row.email} ({row.id}).")
