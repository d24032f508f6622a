"""Token counting with tiktoken, from BPE files installed on this machine (ADR 0004)."""
