"""Reports show the taxes in revenue (tax collected) and revenue net of tax, in every format."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

from bookwell.models import TaxKind
from bookwell.services.listings import taxes as listing_taxes
from bookwell.services.listings.charges import Tax
from tests.factories import book, in_days, make_listing

QUERY = """
query($id: ID!, $start: Date!, $end: Date!) {
  report(listingId: $id, startDate: $start, endDate: $end) {
    listings { revenue { amount } taxCollected { amount } netRevenue { amount } }
    totals { currency revenue { amount } taxCollected { amount } netRevenue { amount } }
  }
}"""


async def _taxed_stay(db, host):
    """A 2-night stay at 100 a night: 10 % VAT included (18.18) and a 2.50 tourist tax added
    per night (5.00): 205.00 paid, of which 23.18 tax."""
    listing_id = await make_listing(db, host, title="Taxed flat")
    async with db.transaction() as session:
        await listing_taxes.set_listing_taxes(
            session=session,
            principal=host,
            listing_id=listing_id,
            taxes=[
                Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("10")),
                Tax("City", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50")),
            ],
        )
    start = in_days(40)
    row = await book(db, None, listing_id, start, nights=2, paid=True)
    assert row.total_amount == Decimal("205.00")
    return listing_id, start


async def test_tax_collected_and_net_revenue_over_graphql(client, db, host, host_token):
    listing_id, start = await _taxed_stay(db, host)
    whole = {"id": str(listing_id), "start": str(start), "end": str(start + timedelta(days=2))}
    report = (await client(QUERY, whole, token=host_token)).data["report"]
    assert report["listings"] == [
        {
            "revenue": {"amount": "205.00"},
            "taxCollected": {"amount": "23.18"},
            "netRevenue": {"amount": "181.82"},
        }
    ]
    assert report["totals"][0]["taxCollected"] == {"amount": "23.18"}
    # One night of two: half of each, as revenue is spread.
    first = whole | {"end": str(start + timedelta(days=1))}
    [night] = (await client(QUERY, first, token=host_token)).data["report"]["listings"]
    assert (night["revenue"], night["taxCollected"], night["netRevenue"]) == (
        {"amount": "102.50"},
        {"amount": "11.59"},
        {"amount": "90.91"},
    )


async def test_every_download_format_shows_tax_and_net_revenue(client, db, host, host_token):
    listing_id, start = await _taxed_stay(db, host)
    params = {"start": str(start), "end": str(start + timedelta(days=2))}
    headers = {"Authorization": f"Bearer {host_token}"}

    async def download(extension: str):
        path = f"/reports/{listing_id}.{extension}"
        response = await client.http.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response

    document = json.loads((await download("json")).content)
    [listing] = document["listings"]
    assert listing["taxCollected"] == {"amount": "23.18", "currency": "USD"}
    assert listing["netRevenue"] == {"amount": "181.82", "currency": "USD"}
    content = (await download("csv")).content.decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(content)))
    assert (row["revenue"], row["tax_collected"], row["net_revenue"]) == (
        "205.00",
        "23.18",
        "181.82",
    )
    for extension in ("txt", "html"):
        rendered = (await download(extension)).text
        assert "Net revenue" in rendered and "23.18" in rendered and "181.82" in rendered
