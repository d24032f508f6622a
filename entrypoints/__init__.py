"""The `lukas` command and the composition root that wires adapters from configuration."""
