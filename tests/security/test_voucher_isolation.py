"""Host isolation of vouchers: a host can neither see, change nor use another host's codes,
nor aim one of their own at another host's listing."""

from bookwell.core.ids import global_id
from bookwell.models import Role
from tests.booking.voucher_support import create_voucher
from tests.factories import in_days, make_listing, make_token, make_user, try_book_over_graphql

UPDATE = """
mutation($id: ID!) { updateVoucher(id: $id, input: {active: false, usageLimit: 1000}) {
  voucher { active } errors { code } } }"""
LIST = """query($listingId: ID) { vouchers(listingId: $listingId) { code } }"""
QUOTE = """query($id: ID!, $start: Date!) { listing(id: $id) {
  quote(startDate: $start, nights: 1, voucherCode: "ALICE50") { total { amount } } } }"""


async def test_another_hosts_vouchers_are_invisible_unchangeable_and_unusable(client, db):
    alice, mallory = await make_user(db, Role.HOST), await make_user(db, Role.HOST)
    alice_token, mallory_token = await make_token(db, alice), await make_token(db, mallory)
    alice_listing = await make_listing(db, alice)
    mallory_listing = await make_listing(db, mallory)
    created = await create_voucher(client, alice_token, code="ALICE50", value="50")
    voucher_id = created["voucher"]["id"]

    # Mallory sees none of Alice's codes, on any listing.
    assert (await client(LIST, {}, token=mallory_token)).data["vouchers"] == []
    on_alices = {"listingId": str(alice_listing)}
    assert (await client(LIST, on_alices, token=mallory_token)).data["vouchers"] == []
    # Nor changes them: NOT_FOUND, as for no such voucher; Alice's stays as it was.
    answer = await client(UPDATE, {"id": voucher_id}, token=mallory_token)
    assert answer.data["updateVoucher"] == {"voucher": None, "errors": [{"code": "NOT_FOUND"}]}
    listed = await client("{ vouchers { code active usageLimit } }", {}, token=alice_token)
    assert listed.data["vouchers"] == [{"code": "ALICE50", "active": True, "usageLimit": None}]

    # Alice's code does nothing on Mallory's listing, quoted or booked (and Mallory's guests
    # cannot learn it exists: the answer is the one for an unknown code).
    start = in_days(10).isoformat()
    quoted = await client(QUOTE, {"id": str(mallory_listing), "start": start})
    assert quoted.errors[0]["extensions"]["code"] == "VOUCHER_INVALID"
    refused = await try_book_over_graphql(
        client, mallory_token, mallory_listing, start, 1, voucherCode="ALICE50"
    )
    assert [e["code"] for e in refused["errors"]] == ["VOUCHER_INVALID"]

    # Mallory cannot make a code for Alice's listing, nor a same-named one that works there.
    aimed = await create_voucher(
        client, mallory_token, code="MAL", listingIds=[global_id("Listing", alice_listing)]
    )
    assert [(e["code"], e["field"]) for e in aimed["errors"]] == [
        ("NOT_FOUND", ["input", "listingIds"])
    ]
    mine = await create_voucher(client, mallory_token, code="MALLORY100", value="100")
    assert mine["errors"] == []
    guest_token = await make_token(db, await make_user(db))
    refused = await try_book_over_graphql(
        client, guest_token, alice_listing, start, 1, voucherCode="MALLORY100"
    )
    assert [e["code"] for e in refused["errors"]] == ["VOUCHER_INVALID"]
