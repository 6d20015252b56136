"""The GraphQL API: schema.py merges each domain's types and resolvers (accounts/, listings/,
booking/, slots/, calendar/, waitlist/, payments/, reviews/, reports/; nodes.py answers
node(id:)); shared/ holds what they share; engine/ the execution fast paths; limits/ the abuse
limits; view.py the endpoint, with context.py and loaders.py per request."""
