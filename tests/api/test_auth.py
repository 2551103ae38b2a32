"""Authentication (401 on every kind of bad token) and function-level authorization (403)."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from httpx import AsyncClient

from api.auth import decode_token, issue_token
from api.errors import Unauthenticated
from rulebook.enums import Role
from settings import Settings
from tests.api.helpers import SECRET, SYSTEM, error, new_id, order_body, push_order


def _forged(claims: dict[str, object], key: str = SECRET, algorithm: str = "HS256") -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm=algorithm)}"}


def _claims(**overrides: object) -> dict[str, object]:
    return {"sub": "buyer-x", "role": "buyer", "exp": datetime.now(UTC) + timedelta(hours=1), **overrides}


def _unsigned() -> dict[str, str]:
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(b'{"sub":"system-x","role":"system","exp":9999999999}').decode()
    return {"Authorization": f"Bearer {header}.{payload}."}


BAD_TOKENS = {
    "none": {},
    "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "garbage": {"Authorization": "Bearer not-a-jwt"},
    "expired": _forged(_claims(exp=datetime.now(UTC) - timedelta(seconds=1))),
    "wrong signature": _forged(_claims(), key="another-secret-that-is-32-bytes-long!!"),
    "alg none": _unsigned(),
    "no role": _forged({"sub": "x", "exp": datetime.now(UTC) + timedelta(hours=1)}),
    "unknown role": _forged(_claims(role="admin")),
    "merchant without shop": _forged(_claims(role="merchant")),
    "no exp": _forged({"sub": "x", "role": "agent"}),
    "role a list": _forged(_claims(role=["agent", "buyer"])),
    "role an object": _forged(_claims(role={"name": "agent"})),
    "exp a string": _forged(_claims(exp="9999999999")),
    "exp a boolean": _forged(_claims(exp=True)),
    "iat a string": _forged(_claims(iat="1700000000")),
}


@pytest.mark.parametrize("headers", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
@pytest.mark.parametrize(("method", "path"), [("GET", "/cases"), ("POST", "/cases"), ("GET", "/notifications")])
async def test_no_valid_token_is_401(client: AsyncClient, headers: dict[str, str], method: str, path: str) -> None:
    response = await client.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert error(response)["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_buyer_cannot_push_orders_or_shipments(client: AsyncClient) -> None:
    buyer = _forged(_claims())
    body = order_body(new_id("order"), "buyer-x", new_id("shop"))

    order = await client.post("/orders", json=body, headers=buyer)
    shipment = await client.post(f"/orders/{body['order_id']}/shipments", json={}, headers=buyer)
    tracking = await client.post("/logistics/events", json={}, headers=buyer)

    for response in (order, shipment, tracking):
        assert response.status_code == 403 and error(response)["code"] == "forbidden"
    assert (await client.get(f"/orders/{body['order_id']}", headers=SYSTEM)).status_code == 404


async def test_only_buyers_open_cases(client: AsyncClient) -> None:
    order = await push_order(client)
    body = {"order_id": order.order_id, "kind": "refund_only", "reason": "damaged"}

    as_merchant = await client.post("/cases", json=body, headers=order.merchant)
    as_system = await client.post("/cases", json=body, headers=SYSTEM)

    assert (as_merchant.status_code, as_system.status_code) == (403, 403)


def test_issuer_and_audience_are_checked_only_when_configured() -> None:
    plain = Settings(env="test", jwt_secret=SECRET)
    strict = Settings(env="test", jwt_secret=SECRET, jwt_issuer="market", jwt_audience="aftersales")
    bare = issue_token(SECRET, sub="m-1", role=Role.MERCHANT, shop_id="shop-1")
    proper = issue_token(
        SECRET, sub="m-1", role=Role.MERCHANT, shop_id="shop-1", issuer="market", audience="aftersales"
    )
    foreign = issue_token(SECRET, sub="m-1", role=Role.MERCHANT, shop_id="shop-1", issuer="x", audience="aftersales")

    caller = decode_token(bare, plain)
    assert (caller.id, caller.role, caller.shop_id) == ("m-1", Role.MERCHANT, "shop-1")
    assert decode_token(proper, plain).id == decode_token(proper, strict).id == "m-1"
    for token in (bare, foreign):
        with pytest.raises(Unauthenticated):
            decode_token(token, strict)
