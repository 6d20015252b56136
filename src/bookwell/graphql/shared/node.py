"""The Relay `Node` interface: every entity with an id implements it, so a client can refetch
any object by its global id (bookwell/core/ids.py) through Query.node, as Relay's @refetchable
fragments and normalised caches (Apollo, urql's Graphcache) do."""

import strawberry


@strawberry.interface(
    description="An object with a globally unique id: `node(id:)` fetches it again, with the "
    "same visibility as wherever else the API shows it."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Globally unique and opaque (it names the object's type): pass it to "
        "`node(id:)` or to any argument that takes this object's id. `databaseId` is the "
        "raw UUID."
    )
