"""How a fulfilment or courier call fails: for good (`RemedyRefused`, a 4xx) or for now (anything else, retried by
the activity with the same business key, so the service acts at most once)."""


class RemedyRefused(Exception):
    """The service said no for good: asking again with the same key cannot help, so the case goes to an agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RemedyUnavailable(Exception):
    """The service could not be reached or did not answer properly: asking again with the same key is safe."""
