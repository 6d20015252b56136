"""Voucher helpers shared by the voucher tests: create a code over GraphQL."""

from typing import Any

from sqlalchemy import text

CREATE = """
mutation($input: CreateVoucherInput!) {
  createVoucher(input: $input) {
    voucher { id code kind value usageLimit timesUsed listingIds active }
    errors { code field message }
  }
}"""


async def create_voucher(client, token: str, **fields: Any) -> dict[str, Any]:
    """createVoucher's payload; `fields` are the input's (code, kind and value default)."""
    voucher = {"code": "SUMMER10", "kind": "PERCENT", "value": "10"} | fields
    answer = await client(CREATE, {"input": voucher}, token=token)
    assert answer.status == 200, answer.body
    return answer.data["createVoucher"]


async def set_cleaning_fee(db, listing_id, fee: str) -> None:
    """As updateListingTerms(cleaningFee:) would set it (NewListing takes no fee)."""
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE listings SET cleaning_fee = CAST(:fee AS numeric) WHERE id = :id"),
            {"fee": fee, "id": listing_id},
        )
