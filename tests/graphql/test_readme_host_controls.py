"""README's host-controls sections, run as written (issue 19: "a host can set all of them on a
demo listing from GraphiQL following the README"): every ```graphql example of "Booking rules
and guests", "Buffer times and blackouts", "Taxes, fees and vouchers" and "Webhooks" is sent,
in README order, as the demo host on seeded demo data, each named operation of a document on
its own (as GraphiQL runs them), with the README's placeholders replaced by the demo host's
listings (and its dates moved to a year clear of the demo's bookings); no answer may have an
error, at the top or in a payload's `errors`."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse

from bookwell.cli.seed import DEMO_EMAIL, seed
from bookwell.core.ids import global_id
from bookwell.flows import webhooks as webhook_flows
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.webhooks import addresses
from tests.factories import make_token
from tests.support.graphiql_assets import ROOT
from tests.support.lifecycle_steps import sql

SECTIONS = (
    "## Taxes, fees and vouchers",
    "## Booking rules and guests",
    "## Buffer times and blackouts",
    "## Webhooks: events POSTed to your server, signed",
)
BLOCK = re.compile(r"^( *)```graphql\n(.*?)^\1```", re.M | re.S)
# The README's endpoint host, resolved to a public address (example.com's) without DNS: this
# sandbox has none, and registering checks the host resolves to public addresses only.
PUBLIC_ADDRESS = "93.184.215.14"
README_YEAR = "2027-"
# The demo's bookings start at most 120 days ahead (cli/seed.py); blackouts begin at most 730.
CLEAR_OF_DEMO_BOOKINGS = timedelta(days=130)


def examples_year(today: date) -> str:
    """The README's dates (March to September 2027) moved to the first year whose March is
    clear of the demo's bookings, so its blackout meets none of them, whatever the day."""
    year = today.year
    while date(year, 3, 1) <= today + CLEAR_OF_DEMO_BOOKINGS:
        year += 1
    return f"{year}-"


def section(readme: str, heading: str) -> str:
    assert heading in readme, f"README has no section {heading!r}"
    return readme.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


def examples(text: str) -> list[str]:
    """Each ```graphql block, its list-item indentation taken off."""
    found = []
    for indent, body in BLOCK.findall(text):
        found.append("\n".join(line.removeprefix(indent) for line in body.splitlines()))
    return found


def operations(document: str) -> list[str | None]:
    """Each operation's name (None: the document's one anonymous operation)."""
    parsed = parse(document)
    return [
        node.name.value if node.name else None
        for node in parsed.definitions
        if isinstance(node, OperationDefinitionNode)
    ]


def payload_errors(value: Any, path: str = "") -> list[str]:
    """Every non-empty `errors` list inside the answer's data (a payload's refusal)."""
    if isinstance(value, dict):
        found = [f"{path}.errors: {value['errors']}"] if value.get("errors") else []
        for key, inner in value.items():
            found += payload_errors(inner, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return [error for item in value for error in payload_errors(item, path)]
    return []


@pytest.fixture
def public_example_com(monkeypatch):
    async def resolver(host: str, port: int) -> list[str]:
        assert host == "example.com"
        return [PUBLIC_ADDRESS]

    async def check(url: str, *, allow_http_loopback: bool) -> str:
        return await addresses.check_reachable(
            url, allow_http_loopback=allow_http_loopback, resolver=resolver
        )

    monkeypatch.setattr(webhook_flows, "check_reachable", check)


async def test_a_host_sets_every_control_on_a_demo_listing_following_the_readme(
    client, db, public_example_com
):
    await seed(db, reservations_count=5)
    [demo] = await sql(db, "SELECT id FROM users WHERE email = :email", email=DEMO_EMAIL)
    token = await make_token(db, Principal(demo.id, Role.HOST))
    [stay] = await sql(
        db,
        "SELECT id FROM listings WHERE owner_id = :owner AND kind = 'STAY' ORDER BY id LIMIT 1",
        owner=demo.id,
    )
    # A space if the demo host has one (its hours are all day), else their restaurant.
    [slot_listing] = await sql(
        db,
        "SELECT id FROM listings WHERE owner_id = :owner AND kind <> 'STAY' "
        "ORDER BY kind = 'SPACE' DESC, kind = 'EQUIPMENT' DESC, id LIMIT 1",
        owner=demo.id,
    )
    placeholders = {
        "<id>": global_id("Listing", stay.id),
        "<stay id>": global_id("Listing", stay.id),
        "<space id>": global_id("Listing", slot_listing.id),
        README_YEAR: examples_year(date.today()),
    }
    readme = (ROOT / "README.md").read_text()
    ran: list[str] = []
    for heading in SECTIONS:
        documents = examples(section(readme, heading))
        assert documents, f"{heading} has no GraphQL example"
        for document in documents:
            for name, value in placeholders.items():
                document = document.replace(name, value)
            assert "<" not in document.split("#")[0], document
            for operation in operations(document):
                body = {"query": document, "operationName": operation}
                response = await client.http.post(
                    "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                answer = response.json()
                where = f"{heading} / {operation or document[:60]!r}"
                assert response.status_code == 200, (where, answer)
                assert answer.get("errors") is None, (where, answer)
                assert payload_errors(answer["data"]) == [], (where, answer)
                ran.append(where)
    # Each section's examples ran (taxes: the taxes, the code and quote, the slot quote).
    print("RAN", ran)
    assert len(ran) >= 8, ran
