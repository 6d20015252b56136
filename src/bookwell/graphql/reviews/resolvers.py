from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors
from bookwell.flows import reviews as review_flows
from bookwell.graphql.context import Info
from bookwell.graphql.reviews.types import CreateReviewInput, Review, ReviewPayload
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.errors import INPUT, user_errors
from bookwell.services.reviews import reviews


async def create_review(
    info: Info,
    input: Annotated[
        CreateReviewInput, strawberry.argument(description="The stay, its rating and comment.")
    ],
) -> ReviewPayload:
    author = require_principal(info)
    found = InputErrors()
    reservation_id = found.check(parse_id, input.reservation_id, "reservation", "reservationId")
    found.check(reviews.checked_review_input, rating=input.rating, comment=input.comment)
    if (error := found.as_error()) is not None:
        return ReviewPayload(errors=user_errors(error, INPUT))
    assert reservation_id is not None
    row, errors = await errors_as_data(
        review_flows.create_review(
            info.context.db,
            author=author,
            reservation_id=reservation_id,
            rating=input.rating,
            comment=input.comment,
        ),
        INPUT,
    )
    return ReviewPayload(review=Review.from_row(row) if row else None, errors=errors)
