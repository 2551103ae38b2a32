"""One router per noun of api.md."""
