import uuid

import strawberry
from sqlalchemy.engine import Row

from bookwell.context import Info
from bookwell.core.ids import global_id
from bookwell.schema.enums import Role
from bookwell.schema.node import Node
from bookwell.schema.rows import columns


@strawberry.type(description="An account: a guest, a host or an admin.")
class User(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The user's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; inputs accept it wherever they take this user's id."
    )
    name: str = strawberry.field(description="The name they registered with.")
    role: Role = strawberry.field(description="What they may see and do.")
    _email: strawberry.Private[str]

    @strawberry.field(
        description="The full address for the user themself and admins; masked for others."
    )
    def email(self, info: Info) -> str:
        viewer = info.context.principal
        if viewer is not None and (viewer.is_admin or viewer.user_id == self.database_id):
            return self._email
        local, _, domain = self._email.partition("@")
        return f"{local[:1]}***@{domain}"

    @classmethod
    def from_row(cls, row: Row) -> "User":
        values = columns(row)
        return cls(
            id=global_id("User", values["id"]),
            database_id=values["id"],
            name=values["name"],
            role=values["role"],
            _email=values["email"],
        )
