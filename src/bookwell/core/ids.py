"""Global object ids (the Relay server specification): an entity's `id` is opaque and names
its type, base64 of "Type:uuid", Strawberry's GlobalID format (strawberry.relay), so
`node(id:)` can find any object and a client cache can key on ids alone. The raw UUIDv7 is
the entity's `databaseId`, for analysts and SQL.

Inputs take either form: a global id, or the bare UUID (a `databaseId`, or an id from
before global ids)."""

import uuid

import strawberry
from strawberry.relay import from_base64, to_base64

# How many ids one `nodes(ids:)` may ask for.
MAX_NODES = 100


def global_id(type_name: str, database_id: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(to_base64(type_name, str(database_id)))


def parse_global_id(value: object) -> tuple[str | None, uuid.UUID] | None:
    """(type name, UUID) of a global id, (None, UUID) of a bare UUID, None if neither."""
    if not isinstance(value, str):
        return None
    try:
        return None, uuid.UUID(value)
    except ValueError:
        pass
    try:
        type_name, raw = from_base64(value)
        return type_name, uuid.UUID(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def database_id_of(value: object, type_name: str | None = None) -> uuid.UUID | None:
    """The UUID an input id names; None when it is not an id, or is another type's."""
    parsed = parse_global_id(value)
    if parsed is None or (type_name and parsed[0] not in (None, type_name)):
        return None
    return parsed[1]
