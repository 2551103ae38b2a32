"""GET /health: 200 when the database and Temporal answer, 503 naming the one that does not."""

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from tests.api.helpers import error


async def test_healthy(client: AsyncClient) -> None:
    response = await client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok", "temporal": "ok"})


async def test_a_database_that_does_not_answer_is_503(
    api_settings: Settings, time_skipping_env: WorkflowEnvironment
) -> None:
    broken = api_settings.model_copy(update={"database_url": "sqlite+aiosqlite:////nonexistent/dir/x.db"})
    app: FastAPI = create_app(broken, temporal_client=time_skipping_env.client)

    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http,
    ):
        response = await http.get("/health")

    assert response.status_code == 503
    assert error(response) | {"message": ""} == {
        "code": "unavailable",
        "message": "",
        "status": "degraded",
        "database": "error",
        "temporal": "ok",
    }
