from datetime import date, datetime

import strawberry

from bookwell.core.ids import global_id
from bookwell.graphql.shared.money import Money
from bookwell.services.customers.records import CustomerRecord, Spent


@strawberry.type(
    description="A guest who booked your listings (a host), any guest (an admin), or you (a "
    "guest): contact details and what they did, counted over the bookings you may see."
)
class Customer:
    id: strawberry.ID = strawberry.field(description="This customer record's id.")
    user_id: strawberry.ID = strawberry.field(
        description="The guest's User id (as `reservations` and `node` know them)."
    )
    name: str = strawberry.field(
        description="The name on their account; a guest without an account: the name on the "
        "latest of the bookings you see."
    )
    email: str = strawberry.field(description="Their sign-in address, to reach them.")
    phone: str | None = strawberry.field(
        description="Their phone number in E.164 (+33142685300), if they gave one "
        "(updateProfile); a guest without an account: the one on the latest of the bookings "
        "you see that has one (guestPhone)."
    )
    bookings: int = strawberry.field(
        description="Bookings they made, whatever became of them, lapsed unpaid holds aside."
    )
    visits: int = strawberry.field(
        description="Bookings they came to: checked in (ACTIVE or COMPLETED)."
    )
    no_shows: int = strawberry.field(description="Confirmed bookings they never came to.")
    cancellations: int = strawberry.field(description="Bookings cancelled, by them or the host.")
    last_visit: date | None = strawberry.field(
        description="The first day of their latest visit; null before any."
    )
    last_booked_at: datetime = strawberry.field(description="When they last booked.")
    total_spent: list[Money] = strawberry.field(
        description="What they paid, net of refunds, one amount per currency (empty: nothing)."
    )

    @classmethod
    def of(cls, record: CustomerRecord, spent: list[Spent]) -> "Customer":
        return cls(
            id=global_id("Customer", record.id),
            user_id=global_id("User", record.id),
            name=record.name,
            email=record.email,
            phone=record.phone,
            bookings=record.bookings,
            visits=record.visits,
            no_shows=record.no_shows,
            cancellations=record.cancellations,
            last_visit=record.last_visit,
            last_booked_at=record.last_booked_at,
            total_spent=[Money.of(s.amount, s.currency) for s in spent],
        )
