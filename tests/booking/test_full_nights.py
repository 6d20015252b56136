"""Requests queued behind a full-night refusal are refused without a round trip, exactly as
PostgreSQL refuses them (services/booking/full_nights.py, migration 0033): the same
UNAVAILABLE, a guest at their hold cap still HOLD_LIMIT, a key still replayed, and nothing
that came after the refusal's statement answered from it."""

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import date, timedelta

import pytest

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.flows import booking as booking_flows
from bookwell.flows.listing_gate import install_listing_gate
from bookwell.models import Role
from bookwell.services.booking.full_nights import FullNightsMemo, Request, full_nights_of
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.payments import BuiltinProvider
from tests.booking.test_one_round_trip import round_trips
from tests.factories import MANY_HOLDS, make_listing, make_user

START = date.today() + timedelta(days=40)


def stay_of(listing_id: uuid.UUID, start: date = START, quantity: int = 1) -> NewReservation:
    return NewReservation(listing_id, start, nights=2, quantity=quantity)


async def outcome(booking: Awaitable) -> str | DomainError:
    try:
        await booking
    except DomainError as refused:
        return refused
    return "booked"


async def queued_behind_a_held_turn(db, settings, listing_id, bookings) -> list:
    """Start `bookings` (coroutine factories) while another task holds the listing's only
    turn, once all of them wait for it, let them go; their outcomes, in order."""
    tuned = settings.model_copy(update={"listing_write_connections": 1})
    gate = install_listing_gate(db, tuned)
    held, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with gate.turn(listing_id):
            held.set()
            await release.wait()

    holding = asyncio.ensure_future(holder())
    await held.wait()
    queued = []
    for book in bookings:  # one at a time, so that they enter the queue in this order
        queued.append(asyncio.ensure_future(outcome(book())))
        for _ in range(1000):  # until it waits: a few turns of the event loop
            if gate._turns[listing_id].users == len(queued) + 1:
                break
            await asyncio.sleep(0)
        assert gate._turns[listing_id].users == len(queued) + 1
    release.set()
    await holding
    return list(await asyncio.gather(*queued))


def same_refusal(found: object, expected: DomainError) -> bool:
    return isinstance(found, DomainError) and (found.code, found.message, found.field) == (
        expected.code,
        expected.message,
        expected.field,
    )


async def test_a_queue_behind_a_full_night_asks_the_database_once(db, host, settings, monkeypatch):
    listing_id = await make_listing(db, host, units=1, **MANY_HOLDS)
    first = await make_user(db, Role.GUEST, "First")
    await booking_flows.book(db, guest=first, data=stay_of(listing_id))  # the last unit
    guests = [await make_user(db, Role.GUEST, f"Late {n}") for n in range(5)]
    memo = full_nights_of(db)
    refused_before = memo.refused

    def booking(guest):
        return lambda: booking_flows.book(db, guest=guest, data=stay_of(listing_id))

    with round_trips(monkeypatch) as sent:
        outcomes = await queued_behind_a_held_turn(
            db, settings, listing_id, [booking(guest) for guest in guests]
        )
    assert len(sent) == 1, sent  # the first of the queue asked; its answer was everyone's
    assert memo.refused - refused_before == 4
    first_refusal = outcomes[0]
    assert isinstance(first_refusal, DomainError) and first_refusal.code is ErrorCode.UNAVAILABLE
    assert all(same_refusal(found, first_refusal) for found in outcomes)

    # Asked later, the database answers again: it has not changed its mind...
    with round_trips(monkeypatch) as sent:
        again = await outcome(booking_flows.book(db, guest=guests[0], data=stay_of(listing_id)))
    assert len(sent) == 1 and same_refusal(again, first_refusal)


async def test_a_night_freed_after_the_refusal_is_booked(db, host, settings):
    listing_id = await make_listing(db, host, units=1, **MANY_HOLDS)
    first = await make_user(db, Role.GUEST, "First")
    held = await booking_flows.book(db, guest=first, data=stay_of(listing_id))
    late = await make_user(db, Role.GUEST, "Late")
    refused = await outcome(booking_flows.book(db, guest=late, data=stay_of(listing_id)))
    assert isinstance(refused, DomainError) and refused.code is ErrorCode.UNAVAILABLE

    await booking_flows.cancel(
        db, principal=first, reservation_id=held.id, provider=BuiltinProvider()
    )
    booked = await booking_flows.book(db, guest=late, data=stay_of(listing_id))
    assert booked.listing_id == listing_id


async def test_a_guest_at_their_cap_still_hears_hold_limit(db, host, settings, monkeypatch):
    limits = {**MANY_HOLDS, "max_guest_holds": 1}
    listing_id = await make_listing(db, host, units=1, **limits)
    first = await make_user(db, Role.GUEST, "First")
    await booking_flows.book(db, guest=first, data=stay_of(listing_id))  # the last unit
    capped = await make_user(db, Role.GUEST, "Capped")
    elsewhere = stay_of(listing_id, START + timedelta(days=10))
    await booking_flows.book(db, guest=capped, data=elsewhere)  # their one hold here
    late, later = [await make_user(db, Role.GUEST, name) for name in ("Late", "Later")]

    def booking(guest, **given):
        return lambda: booking_flows.book(db, guest=guest, data=stay_of(listing_id), **given)

    with round_trips(monkeypatch) as sent:
        outcomes = await queued_behind_a_held_turn(
            db,
            settings,
            listing_id,
            [
                booking(late),
                booking(capped),  # named at the cap by the first refusal: asks, as before
                booking(later, idempotency_key="a-key-of-its-own"),  # a key: asks
                booking(first),  # the first's one hold: at the cap too
                booking(later),  # answered from the first refusal
            ],
        )
    assert len(sent) == 4, sent
    codes = [found.code for found in outcomes if isinstance(found, DomainError)]
    assert codes == [
        ErrorCode.UNAVAILABLE,
        ErrorCode.HOLD_LIMIT,
        ErrorCode.UNAVAILABLE,
        ErrorCode.HOLD_LIMIT,
        ErrorCode.UNAVAILABLE,
    ]


async def test_more_units_than_refused_are_refused_and_fewer_ask(db, host, settings, monkeypatch):
    listing_id = await make_listing(db, host, units=3, **MANY_HOLDS)
    first = await make_user(db, Role.GUEST, "First")
    await booking_flows.book(db, guest=first, data=stay_of(listing_id, quantity=2))  # 1 left
    guests = [await make_user(db, Role.GUEST, f"Late {n}") for n in range(3)]

    def booking(guest, quantity):
        return lambda: booking_flows.book(
            db, guest=guest, data=stay_of(listing_id, quantity=quantity)
        )

    with round_trips(monkeypatch) as sent:
        outcomes = await queued_behind_a_held_turn(
            db,
            settings,
            listing_id,
            [booking(guests[0], 2), booking(guests[1], 3), booking(guests[2], 1)],
        )
    assert len(sent) == 2, sent  # the 3 units are refused from the 2's refusal; 1 asks
    assert [getattr(found, "code", found) for found in outcomes] == [
        ErrorCode.UNAVAILABLE,
        ErrorCode.UNAVAILABLE,
        "booked",
    ]


def test_the_memo_answers_only_what_the_database_would():
    memo = FullNightsMemo()
    listing_id, guest, capped = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    end = START + timedelta(days=2)

    def asked(entered: int, **changed) -> Request:
        fields = {
            "entered": entered,
            "listing_id": listing_id,
            "start": START,
            "end": end,
            "quantity": 1,
            "terms_version": 7,
            "guest_id": guest,
        }
        return Request(**{**fields, **changed})

    before, sent, after = memo.ticket(), memo.ticket(), memo.ticket()
    memo.remember(asked(before), sent, frozenset({capped}))
    assert memo.refuses(asked(before))
    assert memo.refuses(asked(before, quantity=2))
    assert not memo.refuses(asked(after))  # came after the statement was sent
    assert not memo.refuses(asked(before, guest_id=capped))
    assert not memo.refuses(asked(before, terms_version=8))
    assert not memo.refuses(asked(before, end=end + timedelta(days=1)))
    assert not memo.refuses(asked(before, listing_id=uuid.uuid4()))
    memo.remember(asked(before, quantity=2), before, frozenset())  # an earlier statement's
    assert memo.refuses(asked(before, quantity=1))  # the later refusal is kept


@pytest.mark.parametrize("kept", [1, 2])
def test_the_memo_keeps_a_bounded_number_of_refusals(kept):
    memo = FullNightsMemo(kept=kept)
    listings = [uuid.uuid4() for _ in range(3)]
    entered = memo.ticket()
    for listing_id in listings:
        request = Request(entered, listing_id, START, START + timedelta(1), 1, 1, uuid.uuid4())
        memo.remember(request, memo.ticket(), frozenset())
    assert len(memo._found) == kept
