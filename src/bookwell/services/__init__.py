"""The booking rules as plain async functions. Each takes a keyword-only `session`, raises
`DomainError` for expected failures, and knows nothing of GraphQL or HTTP."""
