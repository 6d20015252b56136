"""Root resolvers, kept thin: parse input, authorize, call a service, map its errors."""
