"""Local stand-ins for the outside services Lukas talks to, for tests only."""
