"""Before anything is measured: every workload is answered without error, the nested read
really shows reservations, and the bare handler finds what the GraphQL search finds."""

import asyncio
import json

from bench.client import REQUEST_TIMEOUT, HttpConnection
from bench.scenarios import ORDER, Workload
from bench.servers import Server


async def run_all(loads: dict, graphql: Server, bare: Server, auth: dict) -> None:
    """Before measuring anything: every workload is answered, and answered right."""
    for key in ORDER:
        server = bare if key == "search_bare" else graphql
        answer = await check(server, loads[key], auth if loads[key].authorized else {})
        print(f"check: {loads[key].name} [{server.name}]: answered", end="")
        print(f" ({describe_nested(answer)})" if key == "nested" else "")
    await check_same_results(graphql, bare, loads["search_city"], loads["search_bare"])


async def check(server: Server, workload: Workload, headers: dict) -> dict:
    """One request, which must be answered without any error; returns the answer."""
    conn = HttpConnection(server.port, headers)
    try:
        status, body = await asyncio.wait_for(
            conn.post(workload.path, workload.bodies[0]), REQUEST_TIMEOUT
        )
    finally:
        await conn.close()
    workload.sent += 1
    kind, example = workload.classify(status, body)
    if kind not in ("ok", "UNAVAILABLE"):
        raise SystemExit(f"{workload.name}: the first request failed: {example}")
    return json.loads(body)


def describe_nested(answer: dict) -> str:
    """The nested read must really show owners and reservations (the bench user is ADMIN)."""
    nodes = [edge["node"] for edge in answer["data"]["listings"]["edges"]]
    owners = sum(1 for node in nodes if node["owner"]["id"])
    reservations = sum(len(node["reservations"]["edges"]) for node in nodes)
    if not reservations:
        raise SystemExit("nested read: no reservations shown; is the bench user an ADMIN?")
    return f"{len(nodes)} listings, {owners} owners, {reservations} reservations"


async def check_same_results(
    graphql: Server, bare: Server, search: Workload, bare_search: Workload
) -> None:
    """The bare handler must find the same listings as the GraphQL search."""
    count = 20
    pairs = zip(search.bodies[:count], bare_search.bodies[:count], strict=True)
    for graphql_body, bare_body in pairs:
        conn, plain_conn = HttpConnection(graphql.port), HttpConnection(bare.port)
        try:
            answers = await asyncio.wait_for(
                asyncio.gather(
                    conn.post("/graphql", graphql_body), plain_conn.post("/search", bare_body)
                ),
                REQUEST_TIMEOUT,
            )
            found, expected = (json.loads(body) for _, body in answers)
        finally:
            await conn.close()
            await plain_conn.close()
        edges = found["data"]["searchAvailability"]["edges"]
        if [edge["node"] for edge in edges] != expected["listings"]:
            raise SystemExit(f"GraphQL and bare searches differ for {bare_body!r}")
    print(f"check: GraphQL and bare searches agree on {count} searches")
