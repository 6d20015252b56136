import uuid
from dataclasses import dataclass

from bookwell.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the authenticated user behind a request's token."""

    user_id: uuid.UUID
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
