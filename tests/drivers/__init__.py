"""Ways tests drive Lukas from outside: the installed command as a subprocess."""
