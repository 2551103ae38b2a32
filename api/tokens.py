"""Prints a development token: `python -m api.tokens --role buyer --sub buyer-1 [--shop-id shop-1] [--hours 24]`.

Signed with the configured secret (the dev default unless AFTERSALES_JWT_SECRET is set).
"""

import argparse
from datetime import timedelta

from api.auth import issue_token
from rulebook.enums import Role
from settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.tokens", description="Print a bearer token for the API.")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--sub", required=True, help="the user or service id")
    parser.add_argument("--shop-id", help="required for merchants")
    parser.add_argument("--hours", type=float, default=24.0, help="validity (default 24)")
    args = parser.parse_args(argv)
    if args.role == Role.MERCHANT and not args.shop_id:
        parser.error("--shop-id is required for a merchant")
    settings = get_settings()
    token = issue_token(
        settings.secret,
        sub=args.sub,
        role=args.role,
        shop_id=args.shop_id,
        ttl=timedelta(hours=args.hours),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    print(token)


if __name__ == "__main__":
    main()
