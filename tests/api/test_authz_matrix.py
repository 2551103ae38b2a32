"""AUTHZ-MATRIX (reliability.md §2): `authz_matrix.yaml` cell by cell — each (operation, caller) gets its status, and
a denied one changes nothing and leaks nothing of buyer A's. The matrix must list every operation the app has."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from starlette.routing import BaseRoute, Route

from tests.api.authz_requests import ROWS
from tests.api.authz_world import ROLES, Objects, People, Sessions, build, snapshot
from tests.api.helpers import error

ACTIONS = "POST /cases/{case_id}/actions"
CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
STREET = "世纪大道"  # in buyer A's address, which no denial may echo
STRANGERS = ("anon", "buyer_b", "shop2")


def _matrix() -> dict[str, dict[str, int]]:
    document = yaml.safe_load(Path(__file__).with_name("authz_matrix.yaml").read_text(encoding="utf-8"))
    assert tuple(document["roles"]) == ROLES
    matrix: dict[str, dict[str, int]] = document["matrix"]
    for row, cells in matrix.items():
        assert tuple(cells) == ROLES, f"{row}: the roles must be {ROLES} in that order"
    return matrix


MATRIX = _matrix()
CELLS = [(row, role) for row in MATRIX for role in ROLES]


@pytest_asyncio.fixture(scope="module")
async def people() -> People:
    return People.new()


@pytest_asyncio.fixture(scope="module")
async def world(app: FastAPI, people: People) -> Objects:
    """Buyer A's orders and cases at shop 1, shared by every cell that leaves them as they are."""
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        return await build(http, people)


async def test_the_matrix_covers_every_operation(app: FastAPI, client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    body = document["paths"]["/cases/{case_id}/actions"]["post"]["requestBody"]["content"]["application/json"]
    actions = {f"{ACTIONS} {name}" for name in body["schema"]["discriminator"]["mapping"]}

    routes = dict(_routes(app.routes))
    assert {op for op, shown in routes.items() if shown} == operations  # the walk below sees every route
    hidden = {op for op, shown in routes.items() if not shown}  # the documentation's own pages

    assert set(MATRIX) == (operations - {ACTIONS}) | actions | hidden
    assert set(ROWS) == set(MATRIX)


def _routes(routes: list[BaseRoute]) -> Iterator[tuple[str, bool]]:
    """Every operation of the app, and whether the OpenAPI document shows it, through included routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)  # how FastAPI keeps an included router
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield f"{method} {route.path}", route.include_in_schema


@pytest.mark.parametrize(("row", "role"), CELLS, ids=[f"{row} as {role}" for row, role in CELLS])
async def test_cell(client: AsyncClient, db: Sessions, people: People, world: Objects, row: str, role: str) -> None:
    expected, spec = MATRIX[row][role], ROWS[row]
    objects = world
    if expected < 300 and spec.prepare is not None:
        objects = await spec.prepare(client, people, world, role)
    before = await snapshot(db, people, world) if expected >= 400 else None

    response = await spec.call(objects, people).send(client, people.headers(role))

    assert response.status_code == expected, f"{row} as {role}: {response.status_code} {response.text[:300]}"
    if before is not None or role in STRANGERS:  # a list a stranger may read holds nothing of buyer A's either
        assert people.buyer_a not in response.text and STREET not in response.text
    if before is not None:
        assert error(response)["code"] == CODES[expected]
        after = await snapshot(db, people, world)
        assert after == before, _changed(before, after)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> str:
    return "changed: " + ", ".join(f"{k}: {before[k]!r} → {after[k]!r}" for k in before if before[k] != after[k])
