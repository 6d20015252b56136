from decimal import Decimal

import strawberry


@strawberry.type(description='An exact amount: a decimal string such as "120.00" and its currency.')
class Money:
    amount: str = strawberry.field(
        description='A decimal string with two places, such as "120.00": exact, never a float.'
    )
    currency: str = strawberry.field(description="ISO 4217 code.")

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> "Money":
        return cls(amount=f"{amount:.2f}", currency=currency)
