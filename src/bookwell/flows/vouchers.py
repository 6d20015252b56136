"""Voucher flows: a host creates and changes their codes, each in a transaction."""

import uuid

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.vouchers import vouchers
from bookwell.services.vouchers.records import VoucherRecord
from bookwell.services.vouchers.vouchers import NewVoucher, VoucherUpdate


async def create_voucher(db: Database, *, principal: Principal, new: NewVoucher) -> VoucherRecord:
    return await in_one_transaction(
        db, lambda session: vouchers.create_voucher(session=session, principal=principal, new=new)
    )


async def update_voucher(
    db: Database, *, principal: Principal, voucher_id: uuid.UUID, change: VoucherUpdate
) -> VoucherRecord:
    return await in_one_transaction(
        db,
        lambda session: vouchers.update_voucher(
            session=session, principal=principal, voucher_id=voucher_id, change=change
        ),
    )


async def edit_voucher(
    db: Database, *, principal: Principal, voucher_id: uuid.UUID, edited: NewVoucher
) -> VoucherRecord:
    return await in_one_transaction(
        db,
        lambda session: vouchers.edit_voucher(
            session=session,
            principal=principal,
            voucher_id=voucher_id,
            edited=edited,
        ),
    )


async def delete_voucher(db: Database, *, principal: Principal, voucher_id: uuid.UUID) -> None:
    await in_one_transaction(
        db,
        lambda session: vouchers.delete_voucher(
            session=session, principal=principal, voucher_id=voucher_id
        ),
    )
