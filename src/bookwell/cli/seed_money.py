"""Demo data for taxes and vouchers (issue 19, items 5 and 6): the demo host's first stay
charges 7 % VAT (included) and a 2.50 tourist tax per person and night, and the demo host
has a code DEMO10 (10 % off the nights, 50 uses) for all of their listings."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Listing, ListingKind, TaxKind, Voucher, VoucherKind
from bookwell.services.accounts.principal import Principal
from bookwell.services.listings import taxes
from bookwell.services.listings.charges import Tax
from bookwell.services.vouchers import vouchers

DEMO_TAXES = (
    Tax("VAT", TaxKind.PERCENT, inclusive=True, rate=Decimal("7")),
    Tax("Tourist tax", TaxKind.PER_PERSON_NIGHT, inclusive=False, amount=Decimal("2.50")),
)
DEMO_VOUCHER = vouchers.NewVoucher("DEMO10", VoucherKind.PERCENT, Decimal("10"), usage_limit=50)


async def _taxes_and_a_voucher(session: AsyncSession, *, host: Principal) -> None:
    first_stay = (
        await session.execute(
            select(Listing.id)
            .where(Listing.owner_id == host.user_id, Listing.kind == ListingKind.STAY)
            .order_by(Listing.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if first_stay is not None:
        await taxes.set_listing_taxes(
            session=session, principal=host, listing_id=first_stay, taxes=DEMO_TAXES
        )
    has_it = select(Voucher.id).where(
        Voucher.owner_id == host.user_id, Voucher.code == DEMO_VOUCHER.code
    )
    if (await session.execute(has_it)).first() is None:  # `seed --force` seeds again
        await vouchers.create_voucher(session=session, principal=host, new=DEMO_VOUCHER)


async def seed_taxes_and_vouchers(db: Database, *, host: Principal) -> None:
    await in_one_transaction(db, lambda session: _taxes_and_a_voucher(session, host=host))
