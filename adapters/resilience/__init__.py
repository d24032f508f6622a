"""Decorators that make any chat model resilient: retries with back-off, and a circuit breaker."""
