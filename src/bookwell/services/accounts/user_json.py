"""What a user's JSON may show when PostgreSQL writes it (graphql/engine/compiler/): the
columns every viewer sees exactly as the API writes them. Not the email or phone, which the
API masks or hides depending on who asks."""

from sqlalchemy import Text, cast

from bookwell.core.statements import AnyColumn
from bookwell.models import User

JSON_FIELDS: dict[str, AnyColumn] = {
    "id": User.global_id,
    "database_id": cast(User.id, Text),
    "name": User.name,
    "role": User.role,  # stored as its name
}
