import strawberry
from graphql import GraphQLError

from bookwell.schema.enums import ErrorCode
from bookwell.services.errors import DomainError


@strawberry.type(description="An expected failure, returned as data in a mutation payload.")
class UserError:
    code: ErrorCode
    field: str | None = strawberry.field(description="The input field to blame, if one is.")
    message: str

    @classmethod
    def from_domain(cls, error: DomainError) -> "UserError":
        return cls(code=error.code, field=error.field, message=error.message)


class PublicError(GraphQLError):
    """A GraphQL error meant for the client, with a `code` in its extensions; never masked."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None):
        extensions: dict[str, str] = {"code": code.value}
        if field:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)

    @classmethod
    def from_domain(cls, error: DomainError) -> "PublicError":
        return cls(error.code, error.message, error.field)
