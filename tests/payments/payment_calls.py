"""payReservation and Reservation.payment through the API, for the built-in provider's and
Stripe's tests; a provider that counts its calls, for the payment service's and flows' tests."""

import asyncio
from decimal import Decimal

from bookwell.services.payments import BuiltinProvider, Charge, RefundResult

PAY = """
mutation($id: ID!, $key: String!) {
  payReservation(id: $id, idempotencyKey: $key) {
    reservation {
      id databaseId status expiresAt
      payment {
        status provider clientSecret paidAt refundedAt failureMessage
        amount { amount currency } refundedAmount { amount currency }
      }
    }
    errors { code field message }
  }
}"""


SHOW = """
query($id: ID!) {
  reservation(id: $id) {
    status expiresAt
    payment { status provider failureMessage amount { amount currency } }
  }
}"""


async def show(client, token: str, reservation_id: str) -> dict:
    return (await client(SHOW, {"id": reservation_id}, token=token)).data["reservation"]


class CountingProvider(BuiltinProvider):
    """The built-in provider, slow enough for requests to overlap, counting its calls."""

    def __init__(self, delay: float = 0.0, refund_fails: bool = False):
        self.delay = delay
        self.refund_fails = refund_fails
        self.charges: list[str] = []
        self.refunds: list[tuple[Decimal, str]] = []

    async def charge(self, **kwargs) -> Charge:
        self.charges.append(kwargs["idempotency_key"])
        await asyncio.sleep(self.delay)
        return await super().charge(**kwargs)

    async def refund(self, **kwargs) -> RefundResult:
        self.refunds.append((kwargs["amount"], kwargs["idempotency_key"]))
        if self.refund_fails:
            return RefundResult(succeeded=False, failure_message="The card account is closed.")
        return await super().refund(**kwargs)
