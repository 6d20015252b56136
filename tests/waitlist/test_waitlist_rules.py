"""The waitlist's rules: who may join, who is offered freed units, lapses, leaving, races."""

import asyncio
import contextlib
import random
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.models import ReservationStatus, Role, WaitlistStatus
from bookwell.services.booking.holds import expire_holds
from bookwell.services.waitlist import waitlist
from bookwell.services.waitlist.entries import effective_status
from bookwell.services.waitlist.waitlist import (
    NewWaitlistEntry,
    join_waitlist,
    leave_waitlist,
    offer_freed_units,
)
from tests.factories import book, make_listing, make_user, set_status
from tests.support.database import inventory_drift, over_allocated_nights

START = date.today() + timedelta(days=20)


def day(n: int) -> date:
    return START + timedelta(days=n)


async def join(db, listing_id, first: int, last: int, quantity: int = 1, user=None):
    user = user or await make_user(db, Role.GUEST)
    async with db.transaction() as session:
        data = NewWaitlistEntry(listing_id, day(first), end_date=day(last), quantity=quantity)
        return await join_waitlist(session=session, principal=user, data=data)


async def offer(db, listing_id) -> list[uuid.UUID]:
    async with db.transaction() as session:
        return [row.id for row in await offer_freed_units(session=session, listing_id=listing_id)]


async def entry(db, entry_id: uuid.UUID):
    async with db.read() as session:
        return (
            await session.execute(
                text("""
                    SELECT w.status, w.reservation_id, r.status AS hold_status,
                           r.expires_at - w.offered_at AS deadline, r.guest_id, w.user_id,
                           r.start_date, r.end_date, r.quantity
                      FROM waitlist_entries w LEFT JOIN reservations r ON r.id = w.reservation_id
                     WHERE w.id = :id"""),
                {"id": entry_id},
            )
        ).one()


async def test_joining_a_full_range_waits_in_line(db, host):
    listing_id = await make_listing(db, host, units=1)
    await book(db, None, listing_id, day(0), day(3), confirmed=True)

    first = await join(db, listing_id, 0, 2)
    second = await join(db, listing_id, 1, 3)

    assert effective_status(first) is WaitlistStatus.WAITING
    assert (first.position, second.position) == (1, 2)
    assert (first.start_date, first.end_date, first.quantity) == (day(0), day(2), 1)


async def test_a_range_with_room_is_refused_book_it_instead(db, host):
    listing_id = await make_listing(db, host, units=2)
    await book(db, None, listing_id, day(0), day(3), confirmed=True)

    with pytest.raises(DomainError) as free:
        await join(db, listing_id, 0, 3)
    full_for_two = await join(db, listing_id, 0, 3, quantity=2)

    assert free.value.code is ErrorCode.INVALID_STATE
    assert "book it instead" in free.value.message
    assert effective_status(full_for_two) is WaitlistStatus.WAITING


async def test_an_overdue_hold_does_not_make_a_range_full(db, host):
    listing_id = await make_listing(db, host, units=1)
    hold = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE reservations SET status = 'PENDING', expires_at = now() - interval '1 s'"
                " WHERE id = :id"
            ),
            {"id": hold},
        )

    with pytest.raises(DomainError) as refused:
        await join(db, listing_id, 0, 2)

    assert refused.value.code is ErrorCode.INVALID_STATE


async def test_bad_requests_are_refused(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    await book(db, None, listing_id, day(0), day(3), confirmed=True)
    await join(db, listing_id, 0, 2, user=guest)

    cases = [
        (dict(first=0, last=2, user=guest), ErrorCode.ALREADY_EXISTS),
        (dict(first=0, last=2, quantity=2), ErrorCode.INVALID_INPUT),
        (dict(first=2, last=1), ErrorCode.INVALID_DATES),
        (dict(first=-30, last=-28), ErrorCode.INVALID_DATES),
    ]
    for kwargs, code in cases:
        with pytest.raises(DomainError) as refused:
            await join(db, listing_id, kwargs.pop("first"), kwargs.pop("last"), **kwargs)
        assert refused.value.code is code, kwargs
    with pytest.raises(DomainError) as unknown:
        await join(db, uuid.uuid4(), 0, 2)
    assert unknown.value.code is ErrorCode.NOT_FOUND


async def test_the_oldest_entry_whose_whole_range_fits_is_offered(db, host):
    listing_id = await make_listing(db, host, units=1)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET offer_minutes = 30 WHERE id = :id"), {"id": listing_id}
        )
    early = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    await book(db, None, listing_id, day(2), day(4), confirmed=True)
    too_long = await join(db, listing_id, 0, 4)  # oldest, but nights 2-3 stay taken
    fits = await join(db, listing_id, 0, 2)
    fits_later = await join(db, listing_id, 1, 2)

    await set_status(db, early, "CANCELLED")
    offered = await offer(db, listing_id)

    assert offered == [fits.id]
    got = await entry(db, fits.id)
    assert got.status == "OFFERED"
    assert got.hold_status == "PENDING"
    assert got.user_id == got.guest_id == fits.user_id
    assert (got.start_date, got.end_date, got.quantity) == (day(0), day(2), 1)
    assert got.deadline == timedelta(minutes=30)
    assert (await entry(db, too_long.id)).status == "WAITING"
    assert (await entry(db, fits_later.id)).status == "WAITING"
    # Nothing more is free: a second offerer offers nothing, and nobody twice.
    assert await offer(db, listing_id) == []


async def test_a_lapsed_offer_goes_to_the_next_in_line(db, host):
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    first = await join(db, listing_id, 0, 2)
    second = await join(db, listing_id, 0, 1)
    await set_status(db, taken, "CANCELLED")
    assert await offer(db, listing_id) == [first.id]
    hold = (await entry(db, first.id)).reservation_id

    async with db.transaction() as session:
        await session.execute(
            text("UPDATE reservations SET expires_at = now() - interval '1 s' WHERE id = :id"),
            {"id": hold},
        )
    async with db.transaction() as session:
        expired = await expire_holds(session=session, listing_id=listing_id)
    assert [row.id for row in expired] == [hold]
    offered = await offer(db, listing_id)

    assert offered == [second.id]
    assert (await entry(db, first.id)).status == "LAPSED"
    assert (await entry(db, second.id)).hold_status == "PENDING"


async def test_a_taken_up_offer_is_booked_and_a_cancelled_one_lapses(db, host):
    listing_id = await make_listing(db, host, units=2)
    taken = [
        (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id for _ in range(2)
    ]
    booker = await join(db, listing_id, 0, 2)
    canceller = await join(db, listing_id, 0, 2)
    for reservation_id in taken:
        await set_status(db, reservation_id, "CANCELLED")
    assert await offer(db, listing_id) == [booker.id, canceller.id]

    await set_status(db, (await entry(db, booker.id)).reservation_id, "CONFIRMED")
    await set_status(db, (await entry(db, canceller.id)).reservation_id, "CANCELLED")
    await offer(db, listing_id)

    assert (await entry(db, booker.id)).status == "BOOKED"
    assert (await entry(db, canceller.id)).status == "LAPSED"


async def test_entries_whose_stay_has_begun_lapse(db, host):
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    late = await join(db, listing_id, 0, 2)
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE waitlist_entries SET start_date = current_date - 1 WHERE id = :id"),
            {"id": late.id},
        )
    await set_status(db, taken, "CANCELLED")

    assert await offer(db, listing_id) == []
    assert (await entry(db, late.id)).status == "LAPSED"


async def test_leaving(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    offered = await join(db, listing_id, 0, 2, user=guest)
    waiting = await join(db, listing_id, 0, 2)
    next_in_line = await join(db, listing_id, 1, 2)
    await set_status(db, taken, "CANCELLED")
    assert await offer(db, listing_id) == [offered.id]
    stranger = await make_user(db, Role.GUEST)

    async def leave(who, entry_id):
        async with db.transaction() as session:
            return await leave_waitlist(session=session, principal=who, entry_id=entry_id)

    with pytest.raises(DomainError) as not_theirs:
        await leave(stranger, offered.id)
    left = await leave(guest, offered.id)
    with pytest.raises(DomainError) as twice:
        await leave(guest, offered.id)

    assert not_theirs.value.code is ErrorCode.NOT_FOUND
    assert twice.value.code is ErrorCode.INVALID_STATE
    assert left.released_hold is True
    assert effective_status(left.entry) is WaitlistStatus.LEFT
    assert (await entry(db, offered.id)).hold_status == "CANCELLED"
    # The released units go to the next in line.
    assert await offer(db, listing_id) == [waiting.id]
    assert (await entry(db, next_in_line.id)).status == "WAITING"


async def test_a_paid_offer_cannot_be_left(db, host, guest):
    listing_id = await make_listing(db, host, units=1)
    taken = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    offered = await join(db, listing_id, 0, 2, user=guest)
    await set_status(db, taken, "CANCELLED")
    await offer(db, listing_id)
    hold = (await entry(db, offered.id)).reservation_id
    async with db.transaction() as session:
        await session.execute(
            text("""INSERT INTO payments (id, reservation_id, status, provider, amount, currency)
                    VALUES (:id, :hold, 'PAID', 'builtin', 200, 'USD')"""),
            {"id": uuid.uuid4(), "hold": hold},
        )

    with pytest.raises(DomainError) as refused:
        async with db.transaction() as session:
            await leave_waitlist(session=session, principal=guest, entry_id=offered.id)

    assert refused.value.code is ErrorCode.INVALID_STATE
    assert (await entry(db, offered.id)).hold_status == ReservationStatus.PENDING.value


async def _cancel_then_offer(db, listing_id, reservation_id: uuid.UUID) -> None:
    await set_status(db, reservation_id, "CANCELLED")
    await offer(db, listing_id)


async def test_concurrent_releases_offer_the_oldest_same_range_entries(db, host):
    listing_id = await make_listing(db, host, units=10)
    taken = [
        (await book(db, None, listing_id, day(0), day(3), confirmed=True)).id for _ in range(10)
    ]
    entries = [await join(db, listing_id, 0, 3) for _ in range(15)]

    await asyncio.gather(*(_cancel_then_offer(db, listing_id, r) for r in taken[:6]))

    statuses = [(await entry(db, e.id)).status for e in entries]
    assert statuses == ["OFFERED"] * 6 + ["WAITING"] * 9
    assert await over_allocated_nights(db) == []
    assert await inventory_drift(db) == []


@pytest.mark.parametrize("seed", [7, 11, 42])
async def test_concurrent_releases_never_overbook_nor_offer_twice(db, host, seed):
    rng = random.Random(seed)
    listing_id = await make_listing(db, host, units=3)
    taken = []
    for _ in range(12):  # fill nights 0..9 as far as they go
        first = rng.randrange(0, 9)
        last = min(first + rng.randrange(1, 4), 10)
        with contextlib.suppress(DomainError):
            taken.append(
                (await book(db, None, listing_id, day(first), day(last), confirmed=True)).id
            )
    entries = []
    for _ in range(20):
        first = rng.randrange(0, 9)
        last = min(first + rng.randrange(1, 4), 10)
        with contextlib.suppress(DomainError):  # a range with room now is refused
            entries.append(await join(db, listing_id, first, last, rng.choice([1, 1, 2])))
    assert len(taken) >= 6 and len(entries) >= 6

    await asyncio.gather(*(_cancel_then_offer(db, listing_id, r) for r in taken))

    assert await over_allocated_nights(db) == []
    assert await inventory_drift(db) == []
    async with db.read() as session:
        holds_per_entry = (
            await session.execute(
                text("""
                    SELECT w.id, count(r.id) FROM waitlist_entries w
                      LEFT JOIN reservations r ON r.guest_id = w.user_id
                     GROUP BY w.id"""),
            )
        ).all()
    assert all(count <= 1 for _, count in holds_per_entry)
    offered = [e for e in entries if (await entry(db, e.id)).status == "OFFERED"]
    assert offered
    # Every unit that a waiting entry could use was offered: one more offerer finds nothing.
    async with db.transaction() as session:
        still = await offer_freed_units(session=session, listing_id=listing_id)
    assert still == []


async def test_a_release_while_offering_against_the_date_order_does_not_deadlock(
    db, host, monkeypatch
):
    """Entries are offered oldest first, here latest nights first, so the offerer's holds take
    nights against the date order. A release arriving between two holds takes nights in date
    order; it must wait for the offerer, never deadlock with it."""
    listing_id = await make_listing(db, host, units=2)
    first_release, second_release = [
        (await book(db, None, listing_id, day(0), day(30), confirmed=True)).id for _ in range(2)
    ]
    late = await join(db, listing_id, 28, 30)
    early = await join(db, listing_id, 26, 28)
    await set_status(db, first_release, "CANCELLED")
    releases: list[asyncio.Task] = []
    place_hold = waitlist.place_hold

    async def hold_then_let_a_release_in(**kwargs):
        row = await place_hold(**kwargs)
        if not releases:
            releases.append(asyncio.create_task(set_status(db, second_release, "CANCELLED")))
            await asyncio.sleep(0.3)  # the release runs now, up to the offerer's nights
        return row

    monkeypatch.setattr(waitlist, "place_hold", hold_then_let_a_release_in)
    offered = await offer(db, listing_id)
    await releases[0]

    assert offered == [late.id, early.id]
    assert await over_allocated_nights(db) == []
    assert await inventory_drift(db) == []


async def test_an_overdue_hold_being_ended_elsewhere_does_not_block_offers(db, host):
    """expire_holds skips a hold that another transaction is ending (that one may be waiting
    for the offerer's nights): the offerer offers what is free without it, never waits."""
    listing_id = await make_listing(db, host, units=2)
    hold = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    cancelled = (await book(db, None, listing_id, day(0), day(2), confirmed=True)).id
    first = await join(db, listing_id, 0, 2)
    second = await join(db, listing_id, 0, 2)
    await set_status(db, cancelled, "CANCELLED")
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE reservations SET status = 'PENDING', expires_at = now() - interval '1 s'"
                " WHERE id = :id"
            ),
            {"id": hold},
        )

    async with db.transaction() as expirer:
        await expirer.execute(
            text("SELECT 1 FROM reservations WHERE id = :id FOR UPDATE"), {"id": hold}
        )
        assert await asyncio.wait_for(offer(db, listing_id), timeout=5) == [first.id]
        await expirer.execute(
            text("UPDATE reservations SET status = 'EXPIRED' WHERE id = :id"), {"id": hold}
        )
    assert await offer(db, listing_id) == [second.id]
