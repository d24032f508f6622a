"""The any-llm chat model adapter."""
