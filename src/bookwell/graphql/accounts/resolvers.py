from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.ids import database_id_of
from bookwell.flows import accounts
from bookwell.graphql.accounts.inputs import LoginInput, RegisterInput, UpdateProfileInput
from bookwell.graphql.accounts.types import (
    ApiToken,
    ApiTokenPayload,
    AuthPayload,
    ProfilePayload,
    RevokeApiTokenPayload,
    User,
)
from bookwell.graphql.context import Info
from bookwell.graphql.limits.rate_limiting import limit_login_attempts
from bookwell.graphql.shared.common import errors_as_data, public_read, require_principal
from bookwell.graphql.shared.errors import ARGUMENTS, INPUT, user_errors
from bookwell.services.accounts.profiles import ProfileChange


async def me(info: Info) -> User | None:
    principal = public_read(info)
    if principal is None:
        return None
    row = await info.context.loaders.user.load(principal.user_id)
    return User.from_row(row) if row else None


async def register(
    info: Info,
    input: Annotated[RegisterInput, strawberry.argument(description="The account to create.")],
) -> AuthPayload:
    row, errors = await errors_as_data(
        accounts.register(
            info.context.db,
            email=input.email,
            password=input.password,
            name=input.name,
            role=input.role,
        ),
        INPUT,
    )
    return _signed_in(info, row, errors)


async def login(
    info: Info,
    input: Annotated[
        LoginInput, strawberry.argument(description="The account's email and password.")
    ],
) -> AuthPayload:
    await limit_login_attempts(info.context, input.email)
    row, errors = await errors_as_data(
        accounts.login(info.context.db, email=input.email, password=input.password), INPUT
    )
    return _signed_in(info, row, errors)


def _signed_in(info: Info, row, errors) -> AuthPayload:
    if row is None:
        return AuthPayload(errors=errors)
    token = info.context.access_tokens.issue(row.id)
    return AuthPayload(access_token=token, user=User.from_row(row), errors=[])


async def create_api_token(
    info: Info,
    name: Annotated[
        str,
        strawberry.argument(
            description='Your name for the token, 1 to 200 characters, such as "nightly export".'
        ),
    ],
    expires_in_days: Annotated[
        int | None,
        strawberry.argument(
            description="The token stops working this many days from now (1 to 3650); "
            "null or omitted: it lasts until revoked."
        ),
    ] = None,
) -> ApiTokenPayload:
    principal = require_principal(info)
    created, errors = await errors_as_data(
        accounts.create_api_token(
            info.context.db,
            user_id=principal.user_id,
            name=name,
            expires_in_days=expires_in_days,
        )
    )
    if created is None:
        return ApiTokenPayload(errors=errors)
    tokens = await accounts.api_tokens_of(info.context.db, user_id=principal.user_id)
    made = next(token for token in tokens if token.id == created.id)
    return ApiTokenPayload(
        token=created.token,
        expires_at=created.expires_at,
        api_token=ApiToken.from_record(made),
        errors=[],
    )


async def revoke_api_token(
    info: Info,
    token: Annotated[
        str | None,
        strawberry.argument(description="The API token to revoke: one of your own."),
    ] = None,
    id: Annotated[
        strawberry.ID | None,
        strawberry.argument(
            description="Or the id of one of your tokens (`User.apiTokens`), for a token whose "
            "value you no longer have."
        ),
    ] = None,
) -> RevokeApiTokenPayload:
    principal = require_principal(info)
    if (token is None) == (id is None):
        error = DomainError(ErrorCode.INVALID_INPUT, "Give either token or id.", "token")
        return RevokeApiTokenPayload(revoked=False, errors=user_errors(error, ARGUMENTS))
    if token is not None:
        revoked = await accounts.revoke_api_token(
            info.context.db, token=token, owner=principal.user_id
        )
    else:
        token_id = database_id_of(id, "ApiToken")
        revoked = token_id is not None and await accounts.revoke_own_api_token(
            info.context.db, token_id=token_id, owner=principal.user_id
        )
    if revoked:
        return RevokeApiTokenPayload(revoked=True, errors=[])
    field = "token" if token is not None else "id"
    error = DomainError(ErrorCode.NOT_FOUND, "None of your live API tokens is that one.", field)
    return RevokeApiTokenPayload(revoked=False, errors=user_errors(error, ARGUMENTS))


async def update_profile(
    info: Info,
    input: Annotated[UpdateProfileInput, strawberry.argument(description="What to change.")],
) -> ProfilePayload:
    principal = require_principal(info)
    change = ProfileChange(
        name=input.name if isinstance(input.name, str) else None,
        phone=input.phone if isinstance(input.phone, str) else None,
        clear_phone=input.phone is None,
    )
    row, errors = await errors_as_data(
        accounts.update_profile(info.context.db, user_id=principal.user_id, change=change), INPUT
    )
    return ProfilePayload(user=User.from_row(row) if row else None, errors=errors)
