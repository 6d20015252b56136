"""The Subscription root: live updates over graphql-transport-ws on /graphql."""

import strawberry

from bookwell.resolvers import subscriptions as subscription_resolvers


@strawberry.type(
    description="Over a websocket on /graphql (graphql-transport-ws). To act as a user, "
    'send connection_init with payload {"Authorization": "Bearer <token>"}; an invalid '
    "token closes the connection with 4403."
)
class Subscription:
    availability_changed = strawberry.subscription(
        resolver=subscription_resolvers.availability_changed,
        description="The listing's availability again each time a reservation change on it "
        "commits, made through any API process. With startDate and endDate: only changes "
        "that touch those nights, answered for that window (also after a reconnect that may "
        "have missed changes). Without: answered for each changed range of nights. Changes "
        "that arrive together are answered once.",
    )
