"""Adapters: one technology each, each implementing one port."""
