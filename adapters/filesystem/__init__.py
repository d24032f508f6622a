"""The local filesystem, where pictures are kept."""
