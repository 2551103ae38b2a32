"""Bearer JWTs (HS256): who is calling, and in which role. api.md "Auth"."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from api.errors import Unauthenticated
from rulebook.enums import Role
from settings import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    id: str  # the token's `sub`
    role: Role
    shop_id: str | None = None  # merchants only


def issue_token(
    secret: str,
    *,
    sub: str,
    role: Role | str,
    shop_id: str | None = None,
    ttl: timedelta = timedelta(hours=24),
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """A signed token, for development and tests."""
    claims: dict[str, Any] = {"sub": sub, "role": str(role), "exp": datetime.now(UTC) + ttl}
    optional = {"shop_id": shop_id, "iss": issuer, "aud": audience}
    claims.update({name: value for name, value in optional.items() if value is not None})
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, settings: Settings) -> Caller:
    """The caller a token names, or Unauthenticated. `iss`/`aud` are checked only when a setting asks for them."""
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[ALGORITHM],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": ["exp", "sub", "role"], "verify_aud": settings.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid") from None
    return _caller(claims)


def _numeric_date(value: object) -> bool:
    """RFC 7519's NumericDate: a JSON number of seconds (PyJWT would also take the string "1700000000")."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _caller(claims: dict[str, Any]) -> Caller:
    sub, role, shop_id = claims.get("sub"), claims.get("role"), claims.get("shop_id")
    if not isinstance(sub, str) or not sub or not isinstance(role, str) or role not in set(Role):
        raise Unauthenticated("the token lacks a valid sub or role")
    if not all(_numeric_date(claims[name]) for name in ("exp", "nbf", "iat") if name in claims):
        raise Unauthenticated("the token's exp, nbf and iat must be numbers")
    if shop_id is not None and not isinstance(shop_id, str):
        raise Unauthenticated("the token's shop_id is not a string")
    if role == Role.MERCHANT and not shop_id:
        raise Unauthenticated("a merchant token needs a shop_id")
    return Caller(id=sub, role=Role(role), shop_id=shop_id or None)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or Unauthenticated."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    return token.strip()


def authenticate(authorization: str | None, settings: Settings) -> Caller:
    return decode_token(bearer_token(authorization), settings)
