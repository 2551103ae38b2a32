"""docs/api.md is the REST reference a user reads: it names every path, action, status, reason and error code."""

import re
from pathlib import Path

from httpx import AsyncClient

from rulebook.enums import Action, CaseKind, CaseStatus, Claim, EvidenceKind, Outcome, ReasonCode, Resolution

REFERENCE = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
API_SOURCES = Path(__file__).resolve().parents[2] / "api"


async def test_every_path_of_the_openapi_document_is_in_the_reference(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method in operations:
            assert f"`{method.upper()} {path}`" in REFERENCE, f"{method.upper()} {path}"


def test_every_code_a_user_can_meet_is_in_the_reference() -> None:
    for vocabulary in (Action, CaseKind, CaseStatus, Claim, EvidenceKind, Outcome, ReasonCode, Resolution):
        for member in vocabulary:
            assert f"`{member.value}`" in REFERENCE, member


def test_every_error_code_the_api_raises_is_in_the_reference() -> None:
    raised = {
        code for source in API_SOURCES.rglob("*.py") for code in re.findall(r'code="([a-z_]+)"', source.read_text())
    }
    assert raised and not [code for code in raised if f"`{code}`" not in REFERENCE]
