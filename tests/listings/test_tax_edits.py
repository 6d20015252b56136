"""One tax at a time (what the admin's screens do): changes of one listing's taxes made at
once all count, each in its place, none lost (the listing's row lock orders them)."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import listings as listing_flows
from bookwell.models import Role, TaxKind
from bookwell.services.listings.charges import Tax
from tests.factories import make_listing, make_user


def percent(name: str, rate: str = "1") -> Tax:
    return Tax(name, TaxKind.PERCENT, inclusive=False, rate=Decimal(rate))


async def rows(db, listing_id) -> list:
    async with db.read() as session:
        found = await session.execute(
            text("SELECT id, position, name FROM listing_taxes WHERE listing_id = :id"),
            {"id": listing_id},
        )
        return sorted(found, key=lambda row: row.position)


async def test_taxes_added_at_once_are_all_kept_in_distinct_places(db, host):
    admin = await make_user(db, Role.ADMIN)
    listing_id = await make_listing(db, host)
    names = [f"Tax {n}" for n in range(8)]
    await asyncio.gather(
        *(
            listing_flows.add_listing_tax(
                db, principal=admin, listing_id=listing_id, tax=percent(n)
            )
            for n in names
        )
    )
    found = await rows(db, listing_id)
    assert sorted(row.name for row in found) == names
    assert [row.position for row in found] == list(range(8))


async def test_a_change_and_a_removal_at_once_both_count(db, host):
    listing_id = await make_listing(db, host)
    for name in ("A", "B", "C"):
        await listing_flows.add_listing_tax(
            db, principal=host, listing_id=listing_id, tax=percent(name)
        )
    a, b, _ = await rows(db, listing_id)
    await asyncio.gather(
        listing_flows.replace_listing_tax(db, principal=host, tax_id=a.id, tax=percent("A2", "5")),
        listing_flows.replace_listing_tax(db, principal=host, tax_id=b.id, tax=None),
    )
    after = await rows(db, listing_id)
    assert [(row.name, row.position) for row in after] == [("A2", 0), ("C", 1)]
    assert after[0].id == a.id  # the rows keep their ids: no other form goes stale
    with pytest.raises(DomainError) as gone:
        await listing_flows.replace_listing_tax(db, principal=host, tax_id=b.id, tax=None)
    assert gone.value.code is ErrorCode.NOT_FOUND


async def test_another_hosts_listing_is_refused(db, host):
    other = await make_user(db, Role.HOST)
    listing_id = await make_listing(db, other)
    with pytest.raises(DomainError) as refused:
        await listing_flows.add_listing_tax(
            db, principal=host, listing_id=listing_id, tax=percent("X")
        )
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert await rows(db, listing_id) == []
