"""Builds the schema: the one place merging every domain's queries, mutations and subscriptions
(graphql/<domain>/). `schema` (default settings) is what `schema.graphql` must match."""

import strawberry
from strawberry.schema.config import StrawberryConfig

from bookwell.core.config import Settings
from bookwell.graphql import nodes as node_resolvers
from bookwell.graphql.accounts import resolvers as account_resolvers
from bookwell.graphql.accounts.types import (
    ApiTokenPayload,
    AuthPayload,
    ProfilePayload,
    RevokeApiTokenPayload,
    User,
)
from bookwell.graphql.booking import checkout as checkout_resolvers
from bookwell.graphql.booking import lifecycle as lifecycle_resolvers
from bookwell.graphql.booking import no_show as no_show_resolvers
from bookwell.graphql.booking import resolvers as reservation_resolvers
from bookwell.graphql.booking.checkout import CreateReservationPayload
from bookwell.graphql.booking.types import Reservation, ReservationPayload
from bookwell.graphql.calendar import blackouts as blackout_resolvers
from bookwell.graphql.calendar import resolvers as calendar_resolvers
from bookwell.graphql.calendar.blackouts import BlackoutPayload
from bookwell.graphql.calendar.types import ImportCalendarPayload
from bookwell.graphql.customers import resolvers as customer_resolvers
from bookwell.graphql.customers.types import Customer
from bookwell.graphql.engine.execution import ExecutionContext, HiddenSuggestions
from bookwell.graphql.extension_pipeline import PipelineSchema
from bookwell.graphql.extensions import build_extensions
from bookwell.graphql.limits.cost import costs
from bookwell.graphql.limits.rate_limiting import RateLimited
from bookwell.graphql.listings import manage as listing_management
from bookwell.graphql.listings import photos as listing_photos
from bookwell.graphql.listings import resolvers as listing_resolvers
from bookwell.graphql.listings import subscriptions as subscription_resolvers
from bookwell.graphql.listings import terms as listing_terms_resolvers
from bookwell.graphql.listings.control_fields import ListingControlMutations, ListingControlQueries
from bookwell.graphql.listings.manage import DeleteListingPayload
from bookwell.graphql.listings.photos import ListingPhotoPayload
from bookwell.graphql.listings.pricing import PriceRulePayload
from bookwell.graphql.listings.types import Availability, Listing, ListingPayload
from bookwell.graphql.listings.units import DEFAULT_UNITS, MAX_UNITS_PAGE, ListingUnit
from bookwell.graphql.payments import resolvers as payment_resolvers
from bookwell.graphql.reports import resolvers as report_resolvers
from bookwell.graphql.reports.types import Report
from bookwell.graphql.reviews import resolvers as review_resolvers
from bookwell.graphql.reviews.types import ReviewPayload
from bookwell.graphql.shared.node import Node
from bookwell.graphql.shared.pagination import Connection
from bookwell.graphql.shared.scalars import DESCRIBED_SCALARS
from bookwell.graphql.slots import checkout as slot_checkout
from bookwell.graphql.slots import resolvers as slot_resolvers
from bookwell.graphql.slots.types import SlotOffer
from bookwell.graphql.waitlist import resolvers as waitlist_resolvers
from bookwell.graphql.waitlist.types import WaitlistEntry, WaitlistEntryPayload
from bookwell.graphql.webhooks.fields import WebhookMutations, WebhookQueries


@strawberry.type(
    description="Reads. Listings, availability and slots are public (unless the server runs "
    "a private API); reservations, waitlists and reports need a signed-in user."
)
class Query(WebhookQueries, ListingControlQueries):
    node: Node | None = strawberry.field(
        resolver=node_resolvers.node,
        description="Any object by its global id (Relay): null when there is none, or you "
        "may not see it where the API shows it elsewhere.",
    )
    nodes: list[Node | None] = strawberry.field(
        resolver=node_resolvers.nodes,
        description="Several objects by global id, in the order asked, each as `node` answers.",
    )
    me: User | None = strawberry.field(
        resolver=account_resolvers.me, description="The signed-in user; null without a token."
    )
    listing: Listing | None = strawberry.field(
        resolver=listing_resolvers.listing, description="One listing; null when there is none."
    )
    listings: Connection[Listing] = strawberry.field(
        resolver=listing_resolvers.all_listings,
        description="The listings matching `filter`, oldest first (a stable order for paging): "
        "20 unless `first` or `last` (1 to 100) says otherwise.",
    )
    availability: Availability = strawberry.field(
        resolver=listing_resolvers.availability,
        metadata=listing_resolvers.AVAILABILITY_COST,
        description="Whether `quantity` units of one listing are free on every night of "
        "[startDate, endDate); NOT_FOUND for an unknown listing.",
    )
    search_availability: Connection[Listing] = strawberry.field(
        resolver=listing_resolvers.search_availability,
        description="Listings with `quantity` units free on every night of "
        "[startDate, startDate + nights), in a stable order: 20 unless `first` or `last` "
        "(1 to 100) says otherwise.",
    )
    reservation: Reservation | None = strawberry.field(
        resolver=reservation_resolvers.reservation,
        description="One reservation you may see (a guest: their own; a host: also those on "
        "their listings; an admin: any); null otherwise. Needs sign-in.",
    )
    reservations: Connection[Reservation] = strawberry.field(
        resolver=reservation_resolvers.all_reservations,
        description="The reservations you may see (a guest: their own; a host: also those on "
        "their listings; an admin: all), newest first: 20 unless `first` or `last` (1 to 100) "
        "says otherwise. Needs sign-in.",
    )
    search_slots: Connection[SlotOffer] = strawberry.field(
        resolver=slot_resolvers.search_slots,
        description="Free start times on `date` (each listing's own timezone) of one slot "
        "listing (listingId) or of the slot listings matching `filter`, in a stable order. "
        "`minutes`: the length wanted (default: a restaurant's sitting, or one slot). 20 "
        "listings unless `first` or `last` (1 to 100) says otherwise.",
    )
    free_units: list[ListingUnit] = strawberry.field(
        resolver=slot_resolvers.free_units,
        description="The tables (with seats), rooms or items of a slot listing nobody holds "
        "for any part of [startsAt, endsAt), in the order bookings get them (a restaurant's: "
        "those that seat partySize, smallest first): what a client offers to choose from "
        "before bookSlot with unitId. 100 unless `first` (1 to 1000) says otherwise.",
        metadata=costs(default_page=DEFAULT_UNITS, largest_page=MAX_UNITS_PAGE),
    )
    my_waitlist: Connection[WaitlistEntry] = strawberry.field(
        resolver=waitlist_resolvers.my_waitlist,
        description="Your waitlist entries, newest first: 20 unless `first` or `last` (1 to "
        "100) says otherwise. Needs sign-in.",
    )
    customers: Connection[Customer] = strawberry.field(
        resolver=customer_resolvers.all_customers,
        description="The guests who booked your listings (a host; every guest for an admin; "
        "yourself for a guest), with contact details and statistics over the bookings you "
        "may see, newest accounts first: 20 unless `first` or `last` (1 to 100) says "
        "otherwise. Needs sign-in.",
    )
    report: Report = strawberry.field(
        resolver=report_resolvers.report,
        description="Occupancy and revenue over the nights [startDate, endDate) (at most 366): "
        "a host's listings, or every listing for an admin; listingId and city narrow it. "
        "Guests are FORBIDDEN; a listing the caller may not see is NOT_FOUND.",
    )


@strawberry.type(
    description="Changes. All but register and login need a signed-in user (without one: an "
    "UNAUTHENTICATED error, HTTP 401); expected failures come back in the payload's `errors`."
)
class Mutation(WebhookMutations, ListingControlMutations):
    # Rate limits (graphql/limits/rate_limiting.py): each field asked for counts one against
    # its bucket. Every mutation that creates or moves a booking (or commits to one: paying,
    # joining a waitlist) declares RateLimited("booking"); tests/test_limits_declared.py
    # walks the schema for any that does not.
    register: AuthPayload = strawberry.mutation(
        resolver=account_resolvers.register,
        extensions=[RateLimited("login")],
        description="Create an account and sign in to it. Errors: INVALID_INPUT, EMAIL_TAKEN, "
        "FORBIDDEN (role ADMIN).",
    )
    login: AuthPayload = strawberry.mutation(
        resolver=account_resolvers.login,
        extensions=[RateLimited("login")],
        description="Sign in: an access token for the account. Errors: INVALID_CREDENTIALS.",
    )
    create_api_token: ApiTokenPayload = strawberry.mutation(
        resolver=account_resolvers.create_api_token,
        description="A long-lived token for scripts that acts as you, optionally expiring "
        "(expiresInDays). Errors: INVALID_INPUT.",
    )
    update_profile: ProfilePayload = strawberry.mutation(
        resolver=account_resolvers.update_profile,
        description="Change your name or phone number. Errors: INVALID_INPUT.",
    )
    revoke_api_token: RevokeApiTokenPayload = strawberry.mutation(
        resolver=account_resolvers.revoke_api_token,
        description="Revoke one of your API tokens (a leaked one, say) by its value or its id: "
        "it stops working at once. Errors: NOT_FOUND, INVALID_INPUT (neither or both given).",
    )
    create_listing: ListingPayload = strawberry.mutation(
        resolver=listing_resolvers.create_listing,
        extensions=[RateLimited("listing")],
        description="A host (or admin) lists something to book, as its owner. Errors: FORBIDDEN "
        "(a guest), INVALID_INPUT.",
    )
    create_reservation: CreateReservationPayload = strawberry.mutation(
        resolver=checkout_resolvers.create_reservation,
        extensions=[RateLimited("booking")],
        description="Hold `quantity` units of a STAY listing on every night of [startDate, "
        "endDate): a PENDING reservation until expiresAt, then pay it. Without a token, on a "
        "listing with allowGuestCheckout, give guestName and guestEmail: the answer carries "
        "the booking's manageToken and manageUrl. Errors: NOT_FOUND, INVALID_INPUT, "
        "INVALID_DATES, UNAVAILABLE, IDEMPOTENCY_KEY_REUSED.",
    )
    book_slot: CreateReservationPayload = strawberry.mutation(
        resolver=slot_checkout.book_slot,
        extensions=[RateLimited("booking")],
        description="Hold a time slot of a restaurant (a table that seats partySize, the "
        "smallest free one, or the one unitId names), space or equipment listing: a PENDING "
        "reservation, like createReservation's (a host booking for a guest: CONFIRMED); "
        "UNAVAILABLE when taken. Errors also: NOT_FOUND, INVALID_INPUT, INVALID_DATES, "
        "TABLE_TOO_SMALL, FORBIDDEN, HOLD_LIMIT, IDEMPOTENCY_KEY_REUSED, GUEST_EMAIL_LIMIT. "
        "Without a token, on a listing with allowGuestCheckout, give guestName and "
        "guestEmail, as for createReservation.",
    )
    cancel_reservation: ReservationPayload = strawberry.mutation(
        resolver=lifecycle_resolvers.cancel_reservation,
        description="The guest or the host (or an admin) cancels a PENDING or CONFIRMED "
        "reservation; a paid one is refunded as its cancellation policy says (in full when "
        "the host cancels). Errors: NOT_FOUND, INVALID_STATE, INVALID_INPUT, PAYMENT_FAILED.",
    )
    pay_reservation: ReservationPayload = strawberry.mutation(
        resolver=payment_resolvers.pay,
        extensions=[RateLimited("booking")],
        description="The guest pays a PENDING hold (instant-book listings are then CONFIRMED). "
        "The same idempotencyKey replays the first answer; after PAYMENT_FAILED, retry "
        "with a new key. Errors also: NOT_FOUND, FORBIDDEN, INVALID_STATE, "
        "IDEMPOTENCY_KEY_REUSED.",
    )
    confirm_reservation: ReservationPayload = strawberry.mutation(
        resolver=lifecycle_resolvers.confirm_reservation,
        description="The host (or an admin) accepts a paid booking before its expiresAt "
        "(listings without instant booking). Errors: NOT_FOUND, FORBIDDEN, INVALID_STATE, "
        "PAYMENT_REQUIRED.",
    )
    change_reservation_dates: ReservationPayload = strawberry.mutation(
        resolver=lifecycle_resolvers.change_reservation_dates,
        extensions=[RateLimited("booking")],
        description="Move a reservation to new nights (and quantity) atomically: the new "
        "range is taken and the old freed together, or nothing changes (UNAVAILABLE). Priced "
        "again; a paid booking gets the difference back. Errors also: NOT_FOUND, "
        "INVALID_STATE, INVALID_DATES, INVALID_INPUT, PAYMENT_REQUIRED, PAYMENT_FAILED.",
    )
    check_in: ReservationPayload = strawberry.mutation(
        resolver=lifecycle_resolvers.check_in,
        description="The host marks a CONFIRMED guest arrived (from the first day of the stay "
        "to its last). Errors: NOT_FOUND, FORBIDDEN, INVALID_STATE.",
    )
    check_out: ReservationPayload = strawberry.mutation(
        resolver=lifecycle_resolvers.check_out,
        description="The host marks an ACTIVE guest gone; leaving early frees the unused "
        "nights. Errors: NOT_FOUND, FORBIDDEN, INVALID_STATE.",
    )
    mark_no_show: ReservationPayload = strawberry.mutation(
        resolver=no_show_resolvers.mark_no_show,
        description="The host marks a guest who never came: a CONFIRMED reservation (or one "
        "the clock checked in, on a listing that does not track arrivals) becomes NO_SHOW, "
        "from the instant it begins to the instant it ends (listing time). Its units are "
        "freed; nothing of the price is refunded (the cancellation policy's no-show rule). "
        "Errors: NOT_FOUND, FORBIDDEN, INVALID_STATE, PAYMENT_FAILED.",
    )
    set_no_show_policy: no_show_resolvers.NoShowPolicyPayload = strawberry.mutation(
        resolver=no_show_resolvers.set_no_show_policy,
        description="The host sets when the scheduler marks no-shows on a listing by itself "
        "(autoNoShowAfterHours), or switches it off with null. Errors: NOT_FOUND, "
        "INVALID_INPUT.",
    )
    update_listing_terms: ListingPayload = strawberry.mutation(
        resolver=listing_terms_resolvers.update_listing_terms,
        description="The host changes prices, fees, holds and policies of a listing, for "
        "bookings made afterwards. Errors: NOT_FOUND, FORBIDDEN, INVALID_INPUT.",
    )
    add_price_rule: PriceRulePayload = strawberry.mutation(
        resolver=listing_terms_resolvers.add_price_rule,
        description="The host prices some nights of a listing differently: a season, some "
        "weekdays, or both. Errors: NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_DATES.",
    )
    remove_price_rule: ListingPayload = strawberry.mutation(
        resolver=listing_terms_resolvers.remove_price_rule,
        description="The host deletes a price rule of theirs; answers its listing. Bookings "
        "made keep their price. Errors: NOT_FOUND.",
    )
    revoke_manage_link: ReservationPayload = strawberry.mutation(
        resolver=checkout_resolvers.revoke_manage_link,
        description="Every manage link of a booking made without an account stops working at "
        "once: asked through the link itself, by the listing's host, or by an admin. Errors: "
        "NOT_FOUND.",
    )
    create_review: ReviewPayload = strawberry.mutation(
        resolver=review_resolvers.create_review,
        description="The guest of a COMPLETED stay reviews it, once. Errors: NOT_FOUND, "
        "FORBIDDEN, INVALID_STATE, ALREADY_EXISTS, INVALID_INPUT.",
    )
    join_waitlist: WaitlistEntryPayload = strawberry.mutation(
        resolver=waitlist_resolvers.join_waitlist,
        extensions=[RateLimited("booking")],
        description="Wait for a full range of a stay's nights, or a full time slot of a "
        "restaurant, space or equipment listing (startsAt); when units free up, the oldest "
        "entry that fits is offered a hold. Room now is refused (INVALID_STATE): book it. "
        "Errors also: NOT_FOUND, INVALID_INPUT, INVALID_DATES, ALREADY_EXISTS.",
    )
    leave_waitlist: WaitlistEntryPayload = strawberry.mutation(
        resolver=waitlist_resolvers.leave_waitlist,
        description="Leave your WAITING or OFFERED entry; an unpaid offer's hold is cancelled "
        "(a paid one is a booking: cancel it). Errors: NOT_FOUND, INVALID_STATE.",
    )
    # Listing management (graphql/listings/manage.py, photos.py).
    update_listing: ListingPayload = strawberry.mutation(
        resolver=listing_management.update_listing,
        description="The host (or an admin) changes any field of a listing they set (see "
        "UpdateListingInput for what may change while bookings exist). Errors: NOT_FOUND, "
        "FORBIDDEN, INVALID_INPUT, UNITS_IN_USE, HAS_BOOKINGS.",
    )
    archive_listing: ListingPayload = strawberry.mutation(
        resolver=listing_management.archive_listing,
        description="The host takes a listing off the market: out of every search, no new "
        "bookings, quotes, waitlist offers or moves of dates (LISTING_ARCHIVED); existing "
        "bookings carry on and can be paid, cancelled, checked in and out. Errors: "
        "NOT_FOUND, FORBIDDEN.",
    )
    unarchive_listing: ListingPayload = strawberry.mutation(
        resolver=listing_management.unarchive_listing,
        description="The host lists an archived listing again. Errors: NOT_FOUND, FORBIDDEN.",
    )
    delete_listing: DeleteListingPayload = strawberry.mutation(
        resolver=listing_management.delete_listing,
        description="The host deletes a listing that never had a booking (nor calendar "
        "block), with its photos; one that had is archived instead. Errors: NOT_FOUND, "
        "FORBIDDEN, HAS_BOOKINGS.",
    )
    upload_listing_photo: ListingPhotoPayload = strawberry.mutation(
        resolver=listing_photos.upload_listing_photo,
        description="The host adds a photo, last in the listing's order: a multipart request "
        "(GraphQL multipart request specification) carrying `file`. Errors: NOT_FOUND, "
        "FORBIDDEN, INVALID_INPUT (alt text, too many photos), INVALID_IMAGE, IMAGE_TOO_LARGE.",
    )
    update_listing_photo: ListingPhotoPayload = strawberry.mutation(
        resolver=listing_photos.update_listing_photo,
        description="The host changes a photo's alt text. Errors: NOT_FOUND, INVALID_INPUT.",
    )
    reorder_listing_photos: ListingPayload = strawberry.mutation(
        resolver=listing_management.reorder_listing_photos,
        description="The host puts a listing's photos in a new order: every photo once. "
        "Errors: NOT_FOUND, FORBIDDEN, INVALID_INPUT.",
    )
    remove_listing_photo: ListingPayload = strawberry.mutation(
        resolver=listing_management.remove_listing_photo,
        description="The host removes a photo and its files; answers the listing. Errors: "
        "NOT_FOUND.",
    )
    import_calendar: ImportCalendarPayload = strawberry.mutation(
        resolver=calendar_resolvers.import_calendar,
        extensions=[RateLimited("calendar_import")],
        description="The host blocks a stay listing's nights from an external iCalendar "
        "(url or icsText): one block per event UID, taking units like a booking. Importing "
        "again moves changed blocks and cancels those whose events left that calendar; if "
        "any block does not fit, nothing changes (UNAVAILABLE, naming the event). Errors "
        "also: NOT_FOUND, FORBIDDEN, INVALID_INPUT.",
    )

    create_blackout: BlackoutPayload = strawberry.mutation(
        resolver=blackout_resolvers.create_blackout,
        description="The host closes a stay's dates or a slot listing's hours, all units or "
        "some: taken as a booking would take them, never overbooked. Bookings in the way are "
        "reported (one BLACKOUT_CONFLICT each, conflictingReservationIds), never moved, and "
        "nothing changes. Errors also: NOT_FOUND, FORBIDDEN, INVALID_INPUT.",
    )
    delete_blackout: BlackoutPayload = strawberry.mutation(
        resolver=blackout_resolvers.delete_blackout,
        description="The host reopens what a blackout closed (offered to the waitlist). "
        "Errors: NOT_FOUND, FORBIDDEN.",
    )


@strawberry.type(
    description="Over a websocket on /graphql (graphql-transport-ws). To act as a user, "
    'send connection_init with payload {"Authorization": "Bearer <token>"}; an invalid '
    "token closes the connection with 4403."
)
class Subscription:
    availability_changed = strawberry.subscription(
        resolver=subscription_resolvers.availability_changed,
        metadata=subscription_resolvers.CHANGES_COST,
        description="The listing's availability again each time a reservation change on it "
        "commits, made through any API process. With startDate and endDate: only changes "
        "that touch those nights, answered for that window (also after a reconnect that may "
        "have missed changes). Without: answered for each changed range of nights. Changes "
        "that arrive together are answered once.",
    )


class Schema(PipelineSchema, strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Strawberry logs every error by default; PublicErrors logs the unexpected ones."""


def build_schema(settings: Settings | None = None) -> Schema:
    # model_construct: the defaults, without reading the environment at import time.
    settings = settings or Settings.model_construct()
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=build_extensions(settings),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=DESCRIBED_SCALARS),
        execution_context_class=(
            ExecutionContext if settings.field_suggestions else HiddenSuggestions
        ),
    )


schema = build_schema()
