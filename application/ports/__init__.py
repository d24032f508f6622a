"""The ports: small Protocols that adapters implement and use cases depend on."""
