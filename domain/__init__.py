"""Lukas's domain: events, conversation rules, persona and context window. Pure: no I/O."""
