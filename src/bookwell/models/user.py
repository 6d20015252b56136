import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bookwell.models.base import Base, IdMixin, global_id_column, text_enum


class Role(enum.StrEnum):
    GUEST = "GUEST"
    HOST = "HOST"
    ADMIN = "ADMIN"


class User(IdMixin, Base):
    __tablename__ = "users"
    # One account per address; apart from those, one checkout user per address (migration 0016).
    __table_args__ = (
        Index(
            "uq_users_email_lower",
            text("lower(email)"),
            unique=True,
            postgresql_where=text("NOT checkout"),
        ),
        Index(
            "uq_users_checkout_email_lower",
            text("lower(email)"),
            unique=True,
            postgresql_where=text("checkout"),
        ),
    )

    global_id: Mapped[str] = global_id_column("User")
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, "role"), default=Role.GUEST)
    # E.164 (services/accounts/phones.py), optional: what hosts see of their customers.
    phone: Mapped[str | None] = mapped_column(String(32))
    # None for accounts that only use API tokens (made by the CLI).
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Made by booking without an account (services/accounts/checkout.py): never signs in.
    checkout: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class ApiToken(IdMixin, Base):
    """A long-lived bearer token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Null: never expires. Checked when the token authenticates (services/accounts).
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
