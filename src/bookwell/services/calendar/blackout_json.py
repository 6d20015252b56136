"""What a listing's blackouts show as JSON, each field exactly as the API writes it (the
compiled read path's declaration, graphql/engine/compiler/), and the page the API shows:
blackouts.py's blackouts in force, at most `first` of them."""

from sqlalchemy import ColumnElement, Text, cast, literal_column

from bookwell.core.errors import invalid
from bookwell.core.json_rows import global_id_of, iso_datetime_of
from bookwell.core.statements import AnyColumn
from bookwell.models import Reservation
from bookwell.services.calendar.blackouts import in_force

DEFAULT_BLACKOUTS = 50
MAX_BLACKOUTS_PAGE = 500

JSON_FIELDS: dict[str, AnyColumn] = {
    "id": global_id_of("Blackout", Reservation.id),
    "database_id": cast(Reservation.id, Text),
    "reason": Reservation.guest_name,
    "start_date": Reservation.start_date,
    "end_date": Reservation.end_date,
    "starts_at": iso_datetime_of(Reservation.starts_at),
    "ends_at": iso_datetime_of(Reservation.ends_at),
    "units": Reservation.quantity,
    "created_at": iso_datetime_of(Reservation.created_at),
}


def check_blackouts_page(first: int | None) -> int:
    if first is None:
        return DEFAULT_BLACKOUTS
    if not 1 <= first <= MAX_BLACKOUTS_PAGE:
        raise invalid("first", f"first must be between 1 and {MAX_BLACKOUTS_PAGE}.")
    return first


def in_force_now() -> list[ColumnElement[bool]]:
    """blackouts.in_force at the statement's now(), yesterday taken in UTC as Python does."""
    return in_force(
        literal_column("now()"),
        literal_column("CAST(timezone('UTC', now() - interval '1 day') AS DATE)"),
    )
