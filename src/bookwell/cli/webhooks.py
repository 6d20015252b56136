"""`bookwell webhooks reseal`: after a rotation of the app's secret key."""

import click

from bookwell.cli.support import database_url, with_db
from bookwell.core.config import Settings


@click.group()
def webhooks() -> None:
    """Webhook endpoints."""


@webhooks.command(name="reseal")
def reseal() -> None:
    """Seal every endpoint's secret under BOOKWELL_SECRET_KEY (those sealed under a key of
    BOOKWELL_PREVIOUS_SECRET_KEYS are opened with it); then the old key can be dropped."""
    from bookwell.core.sealed import SealedSecretError, webhook_box
    from bookwell.flows import webhooks as webhook_flows

    settings = Settings()
    box = webhook_box(settings)
    with database_url(settings) as url:
        try:
            count = with_db(url, lambda db: webhook_flows.reseal_secrets(db, box=box))
        except SealedSecretError as error:
            raise click.ClickException(f"Nothing changed: {error}") from None
    click.echo(f"{count} endpoint secret(s) sealed again under key {box.key_id}.")
