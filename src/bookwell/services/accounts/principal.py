import uuid
from dataclasses import dataclass

from bookwell.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the authenticated user behind a request's token."""

    user_id: uuid.UUID
    role: Role
    # Set for a manage link's bearer (services/booking/manage_tokens.py): a guest who booked
    # without an account, allowed only this one reservation (graphql/limits/manage_scope.py).
    reservation_scope: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
