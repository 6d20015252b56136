"""Users, register, login and API tokens."""
