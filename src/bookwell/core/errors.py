import enum
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Where in an input a mistake is: names in the API's camelCase, list indexes as strings, such
# as ("startDate",) or ("tables", "0", "seats"); () is the input as a whole.
Path = tuple[str, ...]


class ErrorCode(enum.StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_DATES = "INVALID_DATES"
    INVALID_STATE = "INVALID_STATE"
    NOT_FOUND = "NOT_FOUND"
    UNAVAILABLE = "UNAVAILABLE"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    HOLD_LIMIT = "HOLD_LIMIT"
    # A chosen table (bookSlot's unitId) seats fewer than the party.
    TABLE_TOO_SMALL = "TABLE_TOO_SMALL"
    # Listing management (services/listings/changes.py, archive.py, photos.py).
    UNITS_IN_USE = "UNITS_IN_USE"
    HAS_BOOKINGS = "HAS_BOOKINGS"
    LISTING_ARCHIVED = "LISTING_ARCHIVED"
    INVALID_IMAGE = "INVALID_IMAGE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    # createBlackout: bookings hold units the blackout asks for (services/calendar/blackouts.py).
    BLACKOUT_CONFLICT = "BLACKOUT_CONFLICT"
    # Booking rules and guests (services/listings/booking_rules.py, services/booking/guests.py).
    RULE_VIOLATED = "RULE_VIOLATED"
    TOO_MANY_GUESTS = "TOO_MANY_GUESTS"
    # Vouchers (services/vouchers): no such code for this listing's host, inactive or out
    # of its dates; used up; or not for this listing.
    VOUCHER_INVALID = "VOUCHER_INVALID"
    VOUCHER_EXHAUSTED = "VOUCHER_EXHAUSTED"
    VOUCHER_NOT_APPLICABLE = "VOUCHER_NOT_APPLICABLE"
    # A host's bookings naming guests' email addresses (services/slots/host_bookings.py).
    GUEST_EMAIL_LIMIT = "GUEST_EMAIL_LIMIT"


class DomainError(Exception):
    """An expected failure: a rule said no. `field` is the path of the input to blame, if one
    is, relative to what the service was given (a name is a path of one); resolvers place it
    among the GraphQL arguments (graphql/shared/errors.py)."""

    def __init__(self, code: ErrorCode, message: str, field: str | Sequence[str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        if isinstance(field, str):
            field = (field,)
        self.field: Path | None = None if field is None else tuple(field)

    @property
    def errors(self) -> tuple["DomainError", ...]:
        """Each error to answer: this one, or each of several (DomainErrors)."""
        return (self,)

    def under(self, *prefix: str) -> "DomainError":
        """The same error with its field inside `prefix`; an error that blames no input
        blames none there either."""
        field = None if self.field is None else (*prefix, *self.field)
        return DomainError(self.code, self.message, field)


class DomainErrors(DomainError):
    """Several errors answered together, such as every mistake of one input. Code that
    answers a single error sees the first (its code, message and field)."""

    def __init__(self, errors: Sequence[DomainError]):
        each = tuple(error for many in errors for error in many.errors)
        super().__init__(each[0].code, each[0].message, each[0].field)
        self._errors = each

    @property
    def errors(self) -> tuple[DomainError, ...]:
        return self._errors

    def under(self, *prefix: str) -> "DomainErrors":
        return DomainErrors([error.under(*prefix) for error in self._errors])


class InputErrors:
    """Runs checks that do not depend on each other and keeps every mistake, so that an input
    is answered with all of them at once rather than the first:

        found = InputErrors()
        booked = found.check(stay, start_date, end_date, nights)  # None if it failed
        found.check(check_quantity, quantity)
        found.raise_if_any()  # the one DomainError, or DomainErrors
    """

    def __init__(self) -> None:
        self._errors: list[DomainError] = []

    def check(self, check: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
        """What `check` returns, or None after keeping the DomainError it raised."""
        try:
            return check(*args, **kwargs)
        except DomainError as error:
            self.add(error)
            return None

    def add(self, error: DomainError) -> None:
        self._errors.extend(error.errors)

    def as_error(self) -> DomainError | None:
        """None if every check passed; else the one DomainError, or DomainErrors."""
        if len(self._errors) == 1:
            return self._errors[0]
        return DomainErrors(self._errors) if self._errors else None

    def raise_if_any(self) -> None:
        if (error := self.as_error()) is not None:
            raise error


def invalid(field: str | Sequence[str], message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field)


def check_text(value: str, field: str | Sequence[str]) -> str:
    """PostgreSQL text cannot hold U+0000: refuse it as bad input, before any query."""
    if "\x00" in value:
        raise invalid(field, "Text may not contain the NUL character (U+0000).")
    return value


def not_found(what: str, field: str | None = "id") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"No {what} with that id.", field)


# Issue 16: a retryable failure, never a rule's refusal (so never a payload's UserError): the
# database is down, restarting, too slow or too busy, or this process sheds load or stops.
# Answered HTTP 503 with Retry-After and this code in the GraphQL error's extensions.
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 2


class ServiceUnavailable(Exception):
    """Retry later: `reason` says why, for logs and metrics (pool_timeout, database_down,
    statement_timeout, lock_timeout, overloaded, shutting_down)."""

    def __init__(self, reason: str):
        super().__init__(f"service unavailable: {reason}")
        self.reason = reason
