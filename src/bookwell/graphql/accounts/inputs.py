"""Inputs of register, login and updateProfile."""

import strawberry

from bookwell.graphql.shared.enums import Role


@strawberry.input(description="A new account; register answers an access token for it at once.")
class RegisterInput:
    email: str = strawberry.field(
        description="The sign-in address, at most 320 characters; one account per address, any "
        "case (EMAIL_TAKEN)."
    )
    password: str = strawberry.field(
        description="8 to 1024 characters, not blank, not the email or name, and not a common or "
        "easily guessed password (INVALID_INPUT on this field)."
    )
    name: str = strawberry.field(
        description="The user's name, 1 to 200 characters: the default guestName of their bookings."
    )
    role: Role = strawberry.field(
        default=Role.GUEST,
        description="GUEST (default) to book, HOST to also list; ADMIN is FORBIDDEN here.",
    )


@strawberry.input(description="An account's email and password, to trade for an access token.")
class LoginInput:
    email: str = strawberry.field(description="The account's address, any case.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="What to change of your account; a field left out stays as it is.")
class UpdateProfileInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Your name, 1 to 200 characters."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Your phone number with its country code (+33 1 42 68 53 00), kept as "
        "E.164 and shown to the hosts of your bookings; null removes it.",
    )
