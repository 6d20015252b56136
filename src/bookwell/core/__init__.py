"""Below every layer: settings, the database (engine, sessions, embedded PostgreSQL),
LISTEN, global ids, domain errors, paging and statement helpers, the request scope."""
