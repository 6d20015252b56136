from collections.abc import Sequence
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError

from bookwell.core.errors import DomainError, Path
from bookwell.graphql.shared.enums import ErrorCode


@dataclass(frozen=True, slots=True)
class ArgumentPaths:
    """Where the fields a service blames sit among a mutation's GraphQL arguments: inside
    the input object argument `input`, if there is one, except the names in `arguments`,
    which are arguments of their own. A field of () is the input itself."""

    input: str | None = None
    arguments: frozenset[str] = frozenset()

    def of(self, field: Path | None) -> list[str] | None:
        if field is None:
            return None
        if self.input is None or (field and field[0] in self.arguments):
            return list(field)
        return [self.input, *field]


# confirmReservation(id:), payReservation(id:, idempotencyKey:): each name is an argument.
ARGUMENTS = ArgumentPaths()
# createReservation(input:): each name is a field of `input`.
INPUT = ArgumentPaths(input="input")


@strawberry.type(description="An expected failure, returned as data in a mutation payload.")
class UserError:
    code: ErrorCode = strawberry.field(description="What went wrong, as a code to branch on.")
    field: list[str] | None = strawberry.field(
        description="The path of the argument or input field to blame, in the GraphQL names "
        'the client sent (camelCase): ["id"] for an argument, ["input", "startDate"] for a '
        'field of an input, ["input", "tables", "0", "seats"] inside a list. Null when no '
        "input is to blame."
    )
    message: str = strawberry.field(
        description="A sentence for people: what went wrong, and what to do instead."
    )

    @classmethod
    def from_domain(cls, error: DomainError, at: ArgumentPaths = ARGUMENTS) -> "UserError":
        return cls(code=error.code, field=at.of(error.field), message=error.message)


def user_errors(error: DomainError, at: ArgumentPaths = ARGUMENTS) -> list[UserError]:
    """A payload's errors: one per error that `error` holds (DomainErrors holds several)."""
    return [UserError.from_domain(each, at) for each in error.errors]


class PublicError(GraphQLError):
    """A GraphQL error meant for the client, with a `code` (and the path of the argument to
    blame as `field`) in its extensions; never masked."""

    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] | None = None):
        extensions: dict[str, str | list[str]] = {"code": code.value}
        if field:
            extensions["field"] = list(field)
        super().__init__(message, extensions=extensions)

    @classmethod
    def from_domain(cls, error: DomainError) -> "PublicError":
        return cls(error.code, error.message, error.field)
