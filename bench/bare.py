"""The same one-city search without GraphQL or SQLAlchemy: Starlette + an asyncpg pool.

Run by bench.run as its own uvicorn process (`--factory bench.bare:create_app`, env
BENCH_BARE_DSN), loaded with the same client, concurrency and parameters as the GraphQL
search, so the difference between the two is what GraphQL (and the ORM layer) costs.
"""

import os
from base64 import b64encode
from contextlib import asynccontextmanager
from datetime import date, timedelta

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# What bookwell.services.availability.search sends for a city filter and one page
# (compiled from its SQLAlchemy statement; keep the two in step).
SEARCH_SQL = """
SELECT listings.owner_id, listings.kind, listings.title, listings.description, listings.city,
       listings.country, listings.timezone, listings.nightly_price, listings.currency,
       listings.units, listings.max_guests, listings.id, listings.created_at
  FROM listings
 WHERE lower(listings.city) = $1::VARCHAR
   AND listings.units >= $2::INTEGER
   AND CAST(timezone(listings.timezone, now()) AS DATE) <= $3::DATE
   AND NOT (EXISTS (SELECT * FROM listing_nights
                     WHERE listing_nights.listing_id = listings.id
                       AND listing_nights.night >= $4::DATE
                       AND listing_nights.night < $5::DATE
                       AND listing_nights.units - listing_nights.booked < $6::INTEGER))
 ORDER BY listings.id
 LIMIT $7::INTEGER
"""


def create_app() -> Starlette:
    dsn = os.environ["BENCH_BARE_DSN"]
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: Starlette):
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        try:
            yield
        finally:
            await pool.close()

    async def search(request: Request) -> JSONResponse:
        """Body: {"city", "start", "nights"}, as the GraphQL search's variables."""
        body = await request.json()
        start = date.fromisoformat(body["start"])
        end = start + timedelta(days=body["nights"])
        quantity, first = body.get("quantity", 1), body.get("first", 20)
        assert pool is not None
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                SEARCH_SQL, body["city"].strip().lower(), quantity, start, start, end, quantity,
                first + 1,
            )  # fmt: skip
        listings = [
            {
                # The global id the API answers (base64 of "Listing:<uuid>").
                "id": b64encode(f"Listing:{row['id']}".encode()).decode(),
                "title": row["title"],
                "nightlyPrice": {
                    "amount": f"{row['nightly_price']:.2f}",
                    "currency": row["currency"],
                },
            }
            for row in rows[:first]
        ]
        return JSONResponse({"listings": listings, "hasNextPage": len(rows) > first})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [Route("/search", search, methods=["POST"]), Route("/health", health)]
    return Starlette(routes=routes, lifespan=lifespan)
