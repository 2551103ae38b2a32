"""Developer tooling: launching the local Temporal dev server and the `make dev` supervisor."""
