"""Pictures through the openai SDK: GPT image models, and OpenAI-compatible image servers."""
