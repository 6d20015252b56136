"""Phone numbers, checked with `phonenumbers` (Google's libphonenumber) and kept in E.164."""

import phonenumbers

from bookwell.core.errors import DomainError, invalid

MAX_INPUT = 64


def normalized_phone(raw: str, field: str = "phone") -> str:
    """`raw` as E.164 ("+33123456789"); INVALID_INPUT unless it is a possible and valid number
    written with its country code."""
    text = raw.strip()
    try:
        if len(text) > MAX_INPUT:
            raise phonenumbers.NumberParseException(0, "too long")
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise _not_a_phone(field) from None
    if not phonenumbers.is_valid_number(number):
        raise _not_a_phone(field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _not_a_phone(field: str) -> DomainError:
    return invalid(
        field, "Not a phone number: write it with its country code, such as +33 1 42 68 53 00."
    )
