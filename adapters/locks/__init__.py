"""Instance leases held as POSIX file locks: how a restarted process tells dead peers from live."""
