"""Checkout users: who books without an account (issue 17.7).

One `users` row per email address (case-insensitive) for every booking made without an
account, beside any real account of that address: `checkout` is true, there is no password,
and the role is GUEST. Sharing the row makes the per-guest hold limits count per address.
A checkout user never signs in: login, tokens and every lookup by email skip them
(services/accounts/accounts.py); only a reservation's manage link acts for them. A host's
phone booking for a named guest with an email address is that address's checkout user's
booking too (services/slots/slots.py), so the guest is one of the host's customers, seen
with the name and phone of that host's own bookings (services/customers/customers.py).
"""

import uuid

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import Role, User, new_id
from bookwell.services.accounts.accounts import check_account_input


async def checkout_user(*, session: AsyncSession, email: str, name: str) -> uuid.UUID:
    """The checkout user of this address, made on first use. The row is shared by everyone
    who books with the address (any host's phone booking, anyone without an account), so it
    keeps nothing any of them may change or another host may read: the name is the first
    one given and no phone; each booking keeps the name and phone it was made with
    (reservations.guest_name, guest_phone), which is what its host sees."""
    email, name = check_account_input(email=email, password=None, name=name)
    inserted = insert(User).values(
        id=new_id(),
        email=email,
        name=name,
        role=Role.GUEST,
        checkout=True,
        password_hash=None,
    )
    # DO UPDATE rather than DO NOTHING: RETURNING then answers the existing row too. It
    # writes back the same address: nothing of the row changes.
    stmt = inserted.on_conflict_do_update(
        index_elements=[text("lower(email)")],
        index_where=text("checkout"),  # the partial index, as written
        set_={"email": User.email},
    ).returning(User.id)
    return (await session.execute(stmt)).scalar_one()
