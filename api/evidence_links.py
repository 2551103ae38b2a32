"""Short-lived links to one evidence file for one agent: what the Temporal UI's story points an agent to, since the
UI holds no token and a bearer token never goes in a URL.

An agent asks `POST /agent/cases/{case_id}/evidence/{evidence_id}/link` with their own token; the answer is
`/evidence-links/<token>`, good for `AFTERSALES_EVIDENCE_LINK_TTL` (default 5 minutes, at most 15). The token is
`<payload>.<mac>`, both base64url: the payload is `{"c": case_id, "e": evidence_id, "a": agent_id, "x": expiry (unix
seconds), "k": kid}` and the mac HMAC-SHA256 over `evidence-link.v1.<payload>` under the key `kid` names. It grants
that one file of that one case, names the agent it was minted for (in the API's log line of each opening), and
expires; changing any byte of it breaks the mac. The keys are `AFTERSALES_EVIDENCE_LINK_KEYS` (`kid:base64secret,…`,
as the other signing keys: the first signs, all verify), else one derived from the JWT secret (kid `jwt`), so
rotating the JWT secret also voids every link out.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import signing_keys

DOMAIN = b"evidence-link.v1."
DERIVED_KID = "jwt"
MAX_TTL = timedelta(minutes=15)


class LinkRefused(Exception):
    """The link is not one this service signed (`link_invalid`) or has expired (`link_expired`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Grant:
    case_id: str
    evidence_id: str
    agent_id: str
    expires_at: datetime


class EvidenceLinks:
    def __init__(self, keys: tuple[tuple[str, bytes], ...], ttl: timedelta = timedelta(minutes=5)) -> None:
        if not keys:
            raise ValueError("no evidence link key")
        if not timedelta(0) < ttl <= MAX_TTL:
            raise ValueError(f"an evidence link lives more than 0 and at most {MAX_TTL}")
        self._keys = dict(keys)
        self._signing = keys[0]
        self.ttl = ttl

    @classmethod
    def configured(cls, listed: str | None, jwt_secret: str, ttl: timedelta) -> "EvidenceLinks":
        """The listed keys (`kid:base64secret,…`), else one derived from the JWT secret."""
        if listed:
            return cls(signing_keys.parse(listed, "evidence link key"), ttl)
        derived = hmac.new(jwt_secret.encode(), b"aftersales evidence links", hashlib.sha256).digest()
        return cls(((DERIVED_KID, derived),), ttl)

    def mint(self, case_id: str, evidence_id: str, agent_id: str, now: datetime) -> tuple[str, datetime]:
        expires_at = (now + self.ttl).replace(microsecond=0)
        kid, key = self._signing
        claims = {"c": case_id, "e": evidence_id, "a": agent_id, "x": int(expires_at.timestamp()), "k": kid}
        payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{_b64(_mac(key, payload))}", expires_at

    def open(self, token: str, now: datetime) -> Grant:
        payload, _, mac = token.partition(".")
        try:
            claims = json.loads(_unb64(payload))
            key = self._keys.get(str(claims["k"]))
            if key is None or not hmac.compare_digest(_unb64(mac), _mac(key, payload)):
                raise ValueError("bad mac")
            grant = Grant(
                str(claims["c"]), str(claims["e"]), str(claims["a"]), datetime.fromtimestamp(int(claims["x"]), UTC)
            )
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
            raise LinkRefused("link_invalid", "this evidence link is not valid; ask for a new one") from None
        if now >= grant.expires_at:
            raise LinkRefused("link_expired", "this evidence link has expired; ask for a new one")
        return grant


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, DOMAIN + payload.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or len(text) > 2000:
        raise ValueError("empty or oversized")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
