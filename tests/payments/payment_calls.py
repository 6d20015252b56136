"""payReservation and Reservation.payment through the API, for the built-in provider's and
Stripe's tests."""

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
