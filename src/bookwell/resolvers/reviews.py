from bookwell.context import Info
from bookwell.resolvers.common import in_transaction, parse_uuid, require_principal
from bookwell.schema.errors import UserError
from bookwell.schema.review import CreateReviewInput, Review, ReviewPayload
from bookwell.services import reviews
from bookwell.services.errors import not_found


async def create_review(info: Info, input: CreateReviewInput) -> ReviewPayload:
    author = require_principal(info)
    reservation_id = parse_uuid(input.reservation_id)
    if reservation_id is None:
        return ReviewPayload(
            errors=[UserError.from_domain(not_found("reservation", "reservationId"))]
        )
    row, errors = await in_transaction(
        info,
        lambda session: reviews.create_review(
            session=session,
            author=author,
            reservation_id=reservation_id,
            rating=input.rating,
            comment=input.comment,
        ),
    )
    return ReviewPayload(review=Review.from_row(row) if row else None, errors=errors)
