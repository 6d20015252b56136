"""Plain HTTP routes beside GraphQL: report downloads, the calendar feed, the Stripe
webhook, health and metrics; and the HTTP middleware settings (CORS, body size)."""
