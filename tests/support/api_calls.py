"""Thin GraphQL calls that tests of several domains make: joining a waitlist, writing a
review."""

from datetime import date, timedelta

REVIEW = """
mutation($input: CreateReviewInput!) {
  createReview(input: $input) {
    review { id rating comment authorName listing { id } }
    errors { code field message }
  }
}"""


async def review(client, token: str, reservation_id: str, rating: int = 5, comment: str = "Lovely"):
    variables = {"input": {"reservationId": reservation_id, "rating": rating, "comment": comment}}
    return (await client(REVIEW, variables, token=token)).data["createReview"]


# The first night joinWaitlist asks for (the waitlist tests book their listings full from it).
START = date.today() + timedelta(days=20)


JOIN = """
mutation($input: JoinWaitlistInput!) {
  joinWaitlist(input: $input) {
    waitlistEntry { id startDate endDate nights quantity status position listing { id } }
    errors { code field message }
  }
}"""


async def join(client, token, listing_id, nights: int = 2, quantity: int = 1):
    variables = {
        "input": {
            "listingId": str(listing_id),
            "startDate": START.isoformat(),
            "nights": nights,
            "quantity": quantity,
        }
    }
    return (await client(JOIN, variables, token=token)).data["joinWaitlist"]
