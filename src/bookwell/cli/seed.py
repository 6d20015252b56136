"""Demo data for a first start: hosts, ~20 listings of every kind in several cities and
timezones, and a few hundred reservations, all made by the same steps as the API's."""

import random
from datetime import date, timedelta
from functools import partial
from itertools import product

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.cli import seed_listings
from bookwell.cli.seed_checkout import seed_guest_checkout
from bookwell.cli.seed_history import seed_history
from bookwell.cli.seed_money import seed_taxes_and_vouchers
from bookwell.cli.seed_outcomes import seed_outcomes
from bookwell.cli.seed_tables import seed_tables
from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.errors import DomainError
from bookwell.core.zones import zone_info
from bookwell.flows import booking
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Listing, ListingKind, OutboxMessage, Role, User
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.booking import reservations
from bookwell.services.listings import listings
from bookwell.services.listings.records import ListingRecord
from bookwell.services.listings.stays import today_in
from bookwell.services.payments import service as payments
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.payments.provider import PaymentProvider
from bookwell.services.slots import rules as slot_rules
from bookwell.services.slots import slots
from bookwell.services.slots import times as slot_times

DEMO_EMAIL = "demo@bookwell.dev"
DEMO_PASSWORD = "bookwell-demo"

HOSTS = [
    (DEMO_EMAIL, "Dana Demo"),
    ("amelie@bookwell.dev", "Amélie Laurent"),
    ("kenji@bookwell.dev", "Kenji Sato"),
    ("maria@bookwell.dev", "María García"),
]
GUESTS = [
    (f"guest{n}@bookwell.dev", name)
    for n, name in enumerate(
        ["Ada Byron", "Ben Okafor", "Chen Wei", "Dora Nilsen", "Emil Novak", "Farah Haddad"], 1
    )
]
CITIES = [
    ("Paris", "FR", "Europe/Paris", "EUR"),
    ("Lisbon", "PT", "Europe/Lisbon", "EUR"),
    ("Tokyo", "JP", "Asia/Tokyo", "JPY"),
    ("New York", "US", "America/New_York", "USD"),
    ("Sydney", "AU", "Australia/Sydney", "AUD"),
]
KINDS = [
    (ListingKind.STAY, "Sunny loft", (90, 260), (1, 3), 4),
    (ListingKind.STAY, "Guesthouse rooms", (60, 140), (4, 8), 2),
    (ListingKind.RESTAURANT, "Bistro tables", (30, 80), (6, 12), 6),
    (ListingKind.SPACE, "Meeting room", (120, 400), (1, 2), 12),
    (ListingKind.EQUIPMENT, "Cargo bikes", (20, 45), (3, 10), 2),
]


async def is_empty(db: Database) -> bool:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Listing))).scalar_one() == 0


async def seed(
    db: Database,
    *,
    reservations_count: int = 300,
    rng_seed: int = 7,
    settings: Settings | None = None,
) -> None:
    """Each demo reservation in one transaction (flows/transaction.py), made, paid and
    cancelled by the same steps as the API's (flows/booking.py cancels and refunds).
    With `settings`: a listing's photos too, in its photo storage."""
    rng = random.Random(rng_seed)
    hosts, guests, made = await in_one_transaction(db, partial(_people_and_listings, rng=rng))
    if settings is not None:
        await seed_listings.add_listing_photos(db, settings, made, hosts)
    provider = BuiltinProvider()
    booked = 0
    while booked < reservations_count:
        listing = rng.choice(made)
        start = today_in(listing.timezone) + timedelta(days=rng.randint(1, 120))
        guest = rng.choice(guests + hosts[:1])
        work = partial(
            _demo_reservation, rng=rng, listing=listing, start=start, guest=guest, provider=provider
        )
        try:
            await in_one_transaction(db, work)
            booked += 1
        except DomainError:
            continue  # full that week: try another
    await seed_history(db, rng=rng, guests=guests, listings=made)
    await seed_outcomes(db, host_email=DEMO_EMAIL, guest=guests[0])  # a no-show (seed_outcomes.py)
    restaurant = await seed_tables(db, host=hosts[0], guest=guests[0])  # tables of 2, 4, 6
    await seed_guest_checkout(db)  # issue 17.7 (cli/seed_checkout.py)
    # Issue 19.5-6 (cli/seed_money.py): taxes, DEMO10 and a table booked with both.
    await seed_taxes_and_vouchers(db, host=hosts[0], guest=guests[0], restaurant=restaurant)


async def _people_and_listings(
    session: AsyncSession, *, rng: random.Random
) -> tuple[list[Principal], list[Principal], list[ListingRecord]]:
    hosts = [await _user(session, e, n, Role.HOST) for e, n in HOSTS]
    guests = [await _user(session, e, n, Role.GUEST) for e, n in GUESTS]
    made = []
    for (city, country, tz, currency), (kind, title, price, units, guests_max) in product(
        CITIES, KINDS
    ):
        if rng.random() < 0.2:
            continue  # not every kind in every city
        host = rng.choice(hosts)
        data = listings.NewListing(
            kind=kind,
            title=f"{title} in {city}",
            description=f"A demo {kind.value.lower()} listing in {city}.",
            city=city,
            country=country,
            timezone=tz,
            nightly_price=str(rng.randint(*price) * (100 if currency == "JPY" else 1)),
            currency=currency,
            units=rng.randint(*units),
            max_guests=guests_max,
        )
        made.append(await listings.create_listing(session=session, owner=host, data=data))
    return hosts, guests, made


async def _demo_reservation(
    session: AsyncSession,
    *,
    rng: random.Random,
    listing: ListingRecord,
    start: date,
    guest: Principal,
    provider: PaymentProvider,
) -> None:
    """Book (a stay from `start`, or a slot), then most are paid and a few cancelled."""
    if listing.kind is ListingKind.STAY:
        row = await reservations.create_reservation(
            session=session,
            guest=guest,
            data=reservations.NewReservation(
                listing_id=listing.id,
                start_date=start,
                nights=rng.randint(1, 6),
                quantity=rng.randint(1, min(2, listing.units)),
            ),
        )
    else:
        row = await _book_slot(session, rng, listing, guest)
    roll = rng.random()
    if roll < 0.85:
        await payments.pay_reservation(
            session=session,
            principal=guest,
            reservation_id=row.id,
            idempotency_key=f"seed-{row.id}",
            provider=provider,
        )
    if roll < 0.08:
        await booking.cancel_and_refund(
            session=session, principal=guest, reservation_id=row.id, provider=provider
        )
    # The demo's bookings are not news: nobody is emailed about them. (Its unpaid holds
    # still expire later, and their guests are told, as real ones would be.)
    await session.execute(delete(OutboxMessage).where(OutboxMessage.reservation_id == row.id))


async def _book_slot(
    session: AsyncSession, rng: random.Random, listing: ListingRecord, guest: Principal
):
    """A random free-looking start time on a day within two months (services/slots/slots.py)."""
    day = today_in(listing.timezone) + timedelta(days=rng.randint(1, 60))
    grid = slot_times.day_slots(
        day,
        zone_info(listing.timezone),
        slot_rules.hours_of(listing),
        listing.slot_minutes,
        slot_rules.default_minutes(listing),
    )
    party = rng.randint(1, 6) if listing.kind is ListingKind.RESTAURANT else None
    data = slots.NewSlotBooking(
        listing_id=listing.id, starts_at=rng.choice(grid).starts_at, party_size=party
    )
    return await slots.book_slot(session=session, guest=guest, data=data)


async def _user(session: AsyncSession, email: str, name: str, role: Role) -> Principal:
    """The demo user, made now or by an earlier seed (`bookwell seed --force` adds more)."""
    existing = await accounts.user_id_by_email(session=session, email=email)
    if existing is not None:
        return Principal(existing, role)
    row = await accounts.create_user(
        session=session, email=email, name=name, role=role, password=DEMO_PASSWORD
    )
    return Principal(row.id, role)


async def demo_user_id(db: Database):
    async with db.read() as session:
        stmt = select(User.id).where(func.lower(User.email) == DEMO_EMAIL, User.checkout.is_(False))
        return (await session.execute(stmt)).scalar_one_or_none()
