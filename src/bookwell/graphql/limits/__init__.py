"""Abuse limits: query cost, rate limits per principal and IP, trusted documents."""
