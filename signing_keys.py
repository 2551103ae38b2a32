"""Named signing keys as the settings give them: `kid2:base64secret,kid1:base64secret`. The first signs, every one
listed verifies, so a key is rotated by listing the new one beside the old. Used for the caller header
(`workflows/callers.py`) and the timeline's checkpoints (`models/checkpoint.py`); standard library only, so the
workflows' sandbox may use it."""

import base64
import binascii
import re

KID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MIN_KEY_BYTES = 32


class InvalidKeys(ValueError):
    pass


def parse(text: str, what: str) -> tuple[tuple[str, bytes], ...]:
    """The keys in the order listed; `what` names them in errors ("caller key", "checkpoint key")."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        kid, sep, encoded = (piece.strip() for piece in item.partition(":"))
        if not sep or not KID.match(kid):
            raise InvalidKeys(f"each {what} is `kid:base64secret`, its kid of [A-Za-z0-9._-]{{1,32}}")
        if kid in keys:
            raise InvalidKeys(f"{what} {kid!r} is listed twice")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise InvalidKeys(f"{what} {kid!r} is not base64") from None
        if len(secret) < MIN_KEY_BYTES:
            raise InvalidKeys(f"{what} {kid!r} is shorter than {MIN_KEY_BYTES} bytes")
        keys[kid] = secret
    if not keys:
        raise InvalidKeys(f"no {what}")
    return tuple(keys.items())
