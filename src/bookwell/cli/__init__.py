"""The `bookwell` command: `serve | migrate | seed | token create | user create | schema |
graphiql fetch | webhooks reseal` (one module per group here), and the work beside the API
(background.py)."""

import logging

import click
from pydantic import ValidationError

from bookwell.cli.accounts import token, user
from bookwell.cli.background import COMMANDS
from bookwell.cli.database import migrate_command, seed_command
from bookwell.cli.schema import graphiql, schema
from bookwell.cli.serve import serve
from bookwell.cli.webhooks import webhooks
from bookwell.core.config import Settings
from bookwell.observability.setup import configure_observability


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Bookwell: a booking API behind one GraphQL endpoint."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings()
    except ValidationError as error:  # one line each, such as a weak secret key in production
        raise click.ClickException(
            "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        ) from None
    configure_observability(settings, verbose=verbose)  # JSON logs; Sentry, OTel if set


for command in (
    serve,
    migrate_command,
    seed_command,
    token,
    user,
    graphiql,
    schema,
    webhooks,
    *COMMANDS,
):
    main.add_command(command)
