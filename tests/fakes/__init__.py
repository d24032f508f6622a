"""In-memory fakes of the ports, for use-case tests. Each passes its port's contract suite."""
