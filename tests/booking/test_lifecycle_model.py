"""A stateful property test: random bookings, payments, confirmations, changes of dates,
cancellations, expiries, check-ins and check-outs on two small listings, each step's answer
(refusals included) checked against a model in plain Python (tests/booking/reservation_model.py),
and after every step the reservations and the inventory compared with the model and
recounted. Every example gets its own database, cloned from the migrated template."""

import asyncio
import itertools
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bookwell.core.db import connect
from bookwell.core.errors import ErrorCode
from bookwell.flows import booking
from bookwell.models import CAPACITY_CONSTRAINT, Reservation, Role
from bookwell.services.booking import holds, lifecycle
from bookwell.services.booking.reservations import NewReservation
from bookwell.services.listings.stays import today_in
from bookwell.services.payments import BuiltinProvider
from bookwell.services.payments.service import pay_reservation
from tests.booking.reservation_model import (
    ACTIVE,
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    PENDING,
    Booking,
    Model,
)
from tests.factories import MANY_HOLDS, make_listing, make_user
from tests.support.database import copy_template, drop_database, inventory_faults
from tests.support.lifecycle_steps import Outcome, outcome_of

LISTING = st.integers(0, 1)
START = st.sampled_from([0, 0, 1, 2, 3])  # days from today; today often, to check in
NIGHTS = st.integers(1, 3)
QUANTITY = st.sampled_from([1, 1, 2, 3])
_databases = itertools.count()

# What only the listing's host may do, and everything one may try on a reservation.
HOST_ACTIONS = {
    "confirm": lifecycle.confirm_reservation,
    "check_in": lifecycle.check_in,
    "check_out": lifecycle.check_out,
}
ANYONES_ACTIONS = {
    **HOST_ACTIONS,
    "cancel": lifecycle.cancel_reservation,
    "change_dates": lambda **kw: lifecycle.change_dates(**kw, start_date=today_in("UTC"), nights=1),
}


def has_bookings(machine: "LifecycleMachine") -> bool:
    return machine.model is not None and bool(machine.model.bookings)


class LifecycleMachine(RuleBasedStateMachine):
    server_url: ClassVar[str]
    template_url: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.name = f"bookwell_model_{os.getpid()}_{next(_databases)}"
        url = self.runner.run(copy_template(self.server_url, self.template_url, self.name))
        self.db = connect(url, pool_size=2, max_overflow=2)
        self.model: Model | None = None

    def teardown(self) -> None:
        try:
            self.runner.run(self.db.dispose())
            self.runner.run(drop_database(self.server_url, self.name))
        finally:
            self.runner.close()

    def run(self, work: Callable[[Any], Any]) -> Outcome:
        """`work(session)` in one transaction, rolled back on a DomainError."""

        async def attempt() -> Any:
            async with self.db.transaction() as session:
                return await work(session)

        return self.runner.run(outcome_of(attempt()))

    def expect(self, outcome: Outcome, refusal: ErrorCode | None) -> bool:
        """Check the answer against the model's (None: success); True when it succeeded."""
        assert outcome.code is refusal, (outcome, refusal)
        return refusal is None

    def pick(self, data: st.DataObject, likely: Callable[[Booking], bool]) -> uuid.UUID:
        """A reservation the rule likely applies to, or (as often) one it likely does not:
        random picks would seldom reach the states deep in the lifecycle."""
        every = sorted(self.model.bookings)  # UUIDv7: in booking order
        fitting = [rid for rid in every if likely(self.model.bookings[rid])]
        others = [rid for rid in every if rid not in fitting]
        if fitting and (not others or data.draw(st.booleans())):
            return data.draw(st.sampled_from(fitting))
        return data.draw(st.sampled_from(others))

    @initialize(
        units=st.tuples(st.integers(1, 3), st.integers(1, 3)),
        first=st.lists(
            st.tuples(LISTING, START, NIGHTS, QUANTITY, st.booleans()), min_size=1, max_size=4
        ),
    )
    def create_listings(self, units: tuple[int, int], first: list[tuple]) -> None:
        """Two listings (instant booking, host approval) and a few bookings, some paid, to
        start from, so every example has reservations whichever rules it runs."""

        async def create() -> None:
            self.host = await make_user(self.db, Role.HOST)
            self.guest = await make_user(self.db, Role.GUEST)
            self.stranger = await make_user(self.db, Role.GUEST)
            self.listings = [
                await make_listing(self.db, self.host, units=u, **MANY_HOLDS) for u in units
            ]
            async with self.db.transaction() as session:
                await session.execute(
                    text("UPDATE listings SET instant_book = false WHERE id = :id"),
                    {"id": self.listings[1]},
                )

        self.runner.run(create())
        self.model = Model(list(units), [True, False], today_in("UTC"))
        for listing, start, nights, quantity, paid in first:
            rid = self.book_as_api(listing, start, nights, quantity)
            if rid is not None and paid:
                self.pay_for(rid)

    @rule(listing=LISTING, start=START, nights=NIGHTS, quantity=QUANTITY)
    def book(self, listing: int, start: int, nights: int, quantity: int) -> None:
        self.book_as_api(listing, start, nights, quantity)

    def book_as_api(self, listing: int, start: int, nights: int, quantity: int) -> uuid.UUID | None:
        """The guest books as the API does (flows/booking.book); the new id, if booked."""
        day = self.model.today + timedelta(start)
        wanted = Booking(listing, day, day + timedelta(nights), quantity)
        refusal, lapsed = self.model.to_book(wanted)
        data = NewReservation(
            listing_id=self.listings[listing], start_date=day, nights=nights, quantity=quantity
        )
        outcome = self.runner.run(outcome_of(booking.book(self.db, guest=self.guest, data=data)))
        for rid in lapsed:
            self.model.bookings[rid].status = EXPIRED
        if not self.expect(outcome, refusal):
            return None
        assert outcome.value.status is PENDING
        self.model.bookings[outcome.value.id] = wanted
        return outcome.value.id

    @precondition(has_bookings)
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        self.pay_for(self.pick(data, lambda b: b.live_hold and not b.paid))

    def pay_for(self, rid: uuid.UUID) -> None:
        """The guest pays (built-in provider); an instant-book listing confirms at once."""
        booking = self.model.bookings[rid]
        outcome = self.run(
            lambda s: pay_reservation(
                session=s,
                principal=self.guest,
                reservation_id=rid,
                idempotency_key=uuid.uuid4().hex,
                provider=BuiltinProvider(),
            )
        )
        if self.expect(outcome, self.model.to_pay(booking)) and not booking.paid:
            booking.paid = True
            if self.model.instant[booking.listing]:
                booking.status = CONFIRMED

    @precondition(has_bookings)
    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        rid = self.pick(data, lambda b: b.live_hold and b.paid)
        booking = self.model.bookings[rid]
        outcome = self.run(
            lambda s: lifecycle.confirm_reservation(
                session=s, principal=self.host, reservation_id=rid
            )
        )
        if self.expect(outcome, self.model.to_confirm(booking)):
            booking.status = CONFIRMED

    @precondition(has_bookings)
    @rule(data=st.data(), by_host=st.booleans())
    def cancel(self, data: st.DataObject, by_host: bool) -> None:
        rid = self.pick(data, lambda b: b.status in (PENDING, CONFIRMED))
        booking = self.model.bookings[rid]
        principal = self.host if by_host else self.guest
        outcome = self.run(
            lambda s: lifecycle.cancel_reservation(
                session=s, principal=principal, reservation_id=rid, reason="plans changed"
            )
        )
        if self.expect(outcome, self.model.to_cancel(booking)):
            booking.status = CANCELLED

    @precondition(has_bookings)
    @rule(
        data=st.data(),
        by_host=st.booleans(),
        start=START,
        nights=NIGHTS,
        quantity=st.none() | QUANTITY,
    )
    def change_dates(
        self, data: st.DataObject, by_host: bool, start: int, nights: int, quantity: int | None
    ) -> None:
        rid = self.pick(data, lambda b: b.live_hold or b.status is CONFIRMED)
        booking = self.model.bookings[rid]
        day = self.model.today + timedelta(start)
        wanted = Booking(
            booking.listing, day, day + timedelta(nights), quantity or booking.quantity
        )
        principal = self.host if by_host else self.guest
        outcome = self.run(
            lambda s: lifecycle.change_dates(
                session=s,
                principal=principal,
                reservation_id=rid,
                start_date=day,
                nights=nights,
                quantity=quantity,
            )
        )
        refusal, lapsed = self.model.to_change(rid, wanted)
        if self.expect(outcome, refusal):
            booking.start, booking.end, booking.quantity = wanted.start, wanted.end, wanted.quantity
            for expired in lapsed:
                self.model.bookings[expired].status = EXPIRED

    @precondition(has_bookings)
    @rule(data=st.data())
    def let_lapse(self, data: st.DataObject) -> None:
        """A hold's deadline passes; nothing has marked it EXPIRED yet."""
        rid = self.pick(data, lambda b: b.status is PENDING)
        if self.model.bookings[rid].status is not PENDING:
            return
        backdate = text(
            "UPDATE reservations SET expires_at = now() - interval '1 minute' WHERE id = :id"
        )
        assert self.run(lambda s: s.execute(backdate, {"id": rid})).won
        self.model.bookings[rid].overdue = True

    @rule(listing=st.none() | LISTING)
    def expire(self, listing: int | None) -> None:
        """The sweep, over one listing or all."""
        due = self.model.overdue_on(listing)
        listing_id = None if listing is None else self.listings[listing]
        outcome = self.run(lambda s: holds.expire_holds(session=s, listing_id=listing_id))
        assert {row.id for row in outcome.value} == due
        for rid in due:
            self.model.bookings[rid].status = EXPIRED

    def move_to_today(self, rid: uuid.UUID) -> None:
        """Days pass until a confirmed stay begins: its range moves to start today (by SQL;
        the inventory trigger follows any change of range, and refuses one that overbooks)."""
        today, booking = self.model.today, self.model.bookings[rid]
        if booking.status is not CONFIRMED or booking.start == today:
            return
        moved = Booking(
            booking.listing, today, today + (booking.end - booking.start), booking.quantity
        )
        fits = self.model.fits(moved, skip={rid})
        shift = text("UPDATE reservations SET start_date = :start, end_date = :end WHERE id = :id")
        try:
            self.run(lambda s: s.execute(shift, {"start": today, "end": moved.end, "id": rid}))
        except IntegrityError as error:
            assert CAPACITY_CONSTRAINT in str(error.orig)
            assert not fits
            return
        assert fits
        booking.start, booking.end = moved.start, moved.end

    @precondition(has_bookings)
    @rule(data=st.data(), arrive_first=st.booleans())
    def check_in(self, data: st.DataObject, arrive_first: bool) -> None:
        rid = self.pick(data, lambda b: b.status is CONFIRMED)
        if arrive_first:
            self.move_to_today(rid)
        self.check_in_for(rid)  # a stay not begun yet is refused

    def check_in_for(self, rid: uuid.UUID) -> None:
        booking = self.model.bookings[rid]
        outcome = self.run(
            lambda s: lifecycle.check_in(session=s, principal=self.host, reservation_id=rid)
        )
        if self.expect(outcome, self.model.to_check_in(booking)):
            booking.status = ACTIVE

    @precondition(has_bookings)
    @rule(data=st.data(), whole_stay=st.booleans())
    def check_out(self, data: st.DataObject, whole_stay: bool) -> None:
        """With `whole_stay`, a confirmed stay is first begun and checked in: the chain is
        long for random steps to walk."""
        if whole_stay:
            rid = self.pick(data, lambda b: b.status is CONFIRMED)
            self.move_to_today(rid)
            self.check_in_for(rid)
        else:
            rid = self.pick(data, lambda b: b.status is ACTIVE)
        booking = self.model.bookings[rid]
        outcome = self.run(
            lambda s: lifecycle.check_out(session=s, principal=self.host, reservation_id=rid)
        )
        if self.expect(outcome, self.model.to_check_out(booking)):
            self.model.checked_out(booking)

    @precondition(has_bookings)
    @rule(data=st.data(), stranger=st.booleans())
    def intrude(self, data: st.DataObject, stranger: bool) -> None:
        """The guest tries what only the host may (FORBIDDEN); someone with no part in the
        reservation tries anything (NOT_FOUND). Nothing changes."""
        rid = self.pick(data, lambda b: True)
        if stranger:
            principal, actions, refusal = self.stranger, ANYONES_ACTIONS, ErrorCode.NOT_FOUND
        else:
            principal, actions, refusal = self.guest, HOST_ACTIONS, ErrorCode.FORBIDDEN
        act = actions[data.draw(st.sampled_from(sorted(actions)))]
        outcome = self.run(lambda s: act(session=s, principal=principal, reservation_id=rid))
        self.expect(outcome, refusal)

    @invariant()
    def database_agrees_with_model(self) -> None:
        if self.model is None:
            return
        rows, nights, faults = self.runner.run(self.read_back())
        model = self.model
        assert {
            row.id: (row.listing_id, row.start_date, row.end_date, row.quantity, row.status)
            for row in rows
        } == {
            rid: (self.listings[b.listing], b.start, b.end, b.quantity, b.status)
            for rid, b in model.bookings.items()
        }
        taken = {
            (self.listings[listing], night): booked
            for listing in (0, 1)
            for night, booked in model.taken(listing).items()
        }
        assert {(n.listing_id, n.night): n.booked for n in nights} == taken
        assert all(
            booked <= model.units[self.listings.index(listing_id)]
            for (listing_id, _), booked in taken.items()
        )
        assert faults == []  # and the database's own recount agrees with listing_nights

    async def read_back(self) -> tuple[list, list, list]:
        columns = (Reservation.id, Reservation.listing_id, Reservation.start_date)
        columns += (Reservation.end_date, Reservation.quantity, Reservation.status)
        async with self.db.read() as session:
            rows = list(await session.execute(select(*columns)))
            nights = list(
                await session.execute(
                    text("SELECT listing_id, night, booked FROM listing_nights WHERE booked > 0")
                )
            )
        return rows, nights, await inventory_faults(self.db)


MODEL_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_lifecycle_agrees_with_model(server_url: str, template_url: str) -> None:
    machine = type(
        "Lifecycle", (LifecycleMachine,), {"server_url": server_url, "template_url": template_url}
    )
    run_state_machine_as_test(machine, settings=MODEL_SETTINGS)
