import enum
import uuid
from datetime import datetime

import uuid_utils
from sqlalchemy import Computed, DateTime, MetaData, Text, func
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations and error handling can refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def new_id() -> uuid.UUID:
    """A UUIDv7: time-ordered, made without coordination, unique across replicas."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


# Column.info key: the column's text is JSON-safe as it is (graphql/engine/compiler/sql.py).
JSON_VERBATIM = "bookwell.json_verbatim"


def global_id_column(type_name: str) -> Mapped[str]:
    """The row's GraphQL global id, core.ids.global_id: base64 of "Type:<uuid>", kept by
    PostgreSQL beside the row so that a read writing hundreds of them as JSON does not encode
    each anew (issue 18: ~8% of a nested read's PostgreSQL CPU). decode(, 'escape') is
    textsend made immutable: a uuid's text has no backslash to unescape. Deferred: the ORM
    never loads it; statements that write JSON select it."""
    generated = f"encode(decode('{type_name}:' || CAST(id AS TEXT), 'escape'), 'base64')"
    return mapped_column(
        Text, Computed(generated, persisted=True), deferred=True, info={JSON_VERBATIM: True}
    )


def text_enum(enum_cls: type[enum.Enum], name: str, length: int = 16) -> SAEnum:
    """An enum stored as text with a CHECK constraint (no PostgreSQL ENUM type to migrate)."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
