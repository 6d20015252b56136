import strawberry

from bookwell import models
from bookwell.services.errors import ErrorCode as DomainErrorCode

# The GraphQL enums are the domain's own enums, so the two can never drift apart.
ListingKind = strawberry.enum(models.ListingKind, name="ListingKind")
ReservationStatus = strawberry.enum(models.ReservationStatus, name="ReservationStatus")
Role = strawberry.enum(models.Role, name="Role")
ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")
