"""The rule book: pure, deterministic product rules (R-…), timers (T-…) and allowed transitions.

Imports only the standard library and `rulebook.enums`, so the workflow sandbox, the update
validators and the API all ask the same functions.
"""
