"""The schema cut down to what PostgreSQL can write: pages of listings and their counts,
their owners, booking rules, seasons and taxes, pages of their reservations (and theirs:
a reservation's listing and guest), a listing by id, availability,
and of each object only its plain columns (the vocabularies of graphql/engine/json_pages.py
and compiler/declarations.py). Documents generated over it are what the compiled path
answers rather than declines (graphql/engine/compiler/ after issue 18); they are valid over
the whole schema."""

import graphql
from graphql import GraphQLSchema, ObjectTypeDefinitionNode

from bookwell.graphql.engine.json_pages import LISTING, RESERVATION

KEPT_FIELDS = {
    "Listing": {
        *LISTING.fields,
        "reservations",
        "owner",
        "bookingRules",
        "bookingRuleSeasons",
        "taxes",
    },
    "Reservation": {*RESERVATION.fields, "listing", "guest"},
    "User": {"id", "databaseId", "name", "role"},
    "ListingConnection": {"edges", "pageInfo", "totalCount"},
    "ReservationConnection": {"edges", "pageInfo", "totalCount"},
}


def plain_schema(schema: GraphQLSchema) -> GraphQLSchema:
    document = graphql.parse(graphql.print_schema(schema))
    definitions = []
    for definition in document.definitions:
        kept = KEPT_FIELDS.get(getattr(getattr(definition, "name", None), "value", ""))
        if isinstance(definition, ObjectTypeDefinitionNode) and kept is not None:
            fields = tuple(f for f in definition.fields or () if f.name.value in kept)
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                description=definition.description,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=fields,
            )
        definitions.append(definition)
    return graphql.build_ast_schema(graphql.DocumentNode(definitions=tuple(definitions)))
