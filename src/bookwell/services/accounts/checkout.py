"""Checkout users: who books without an account (issue 17.7).

One `users` row per email address (case-insensitive) for every booking made without an
account, beside any real account of that address: `checkout` is true, there is no password,
and the role is GUEST. Sharing the row makes the per-guest hold limits count per address.
A checkout user never signs in: login, tokens and every lookup by email skip them
(services/accounts/accounts.py); only a reservation's manage link acts for them. A host's
phone booking for a named guest with an email address is that address's checkout user's
booking too (services/slots/slots.py), so the guest is one of the host's customers.
"""

import uuid

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Role, User, new_id
from bookwell.services.accounts.accounts import check_account_input
from bookwell.services.accounts.phones import normalized_phone


async def checkout_user(
    *, session: AsyncSession, email: str, name: str, phone: str | None = None
) -> uuid.UUID:
    """The checkout user of this address, made on first use. The name is the first one
    given (each booking keeps its own guest name); a phone number given (checked with
    phones.py, stored as E.164) replaces the one kept, none keeps it."""
    email, name = check_account_input(email=email, password=None, name=name)
    e164 = normalized_phone(phone, "guestPhone") if phone is not None else None
    inserted = insert(User).values(
        id=new_id(),
        email=email,
        name=name,
        role=Role.GUEST,
        checkout=True,
        password_hash=None,
        phone=e164,
    )
    # DO UPDATE rather than DO NOTHING: RETURNING then answers the existing row too.
    stmt = inserted.on_conflict_do_update(
        index_elements=[text("lower(email)")],
        index_where=text("checkout"),  # the partial index, as written
        set_={"phone": func.coalesce(inserted.excluded.phone, User.phone)},
    ).returning(User.id)
    return (await session.execute(stmt)).scalar_one()
