"""Adapters to systems outside the service (payment provider, fulfilment, courier): an interface, a fake for
development and tests, and an HTTP adapter selected by settings."""
