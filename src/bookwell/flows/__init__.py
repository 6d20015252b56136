"""Use cases: each flow owns its transaction (BEGIN, COMMIT, ROLLBACK on a DomainError) and
what must follow the commit, such as offering freed units to the waitlist.

Flows compose services, which are plain rules run in the session they are given and never
open a transaction. The GraphQL resolvers, the workers and the CLI call the same flows, so
that every composition (cancel, refund, commit, offer) is written once. Flows raise
DomainError for refusals; turning it into a payload's errors is the caller's business."""
