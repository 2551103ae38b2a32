"""AUTHN-02 on the live service: after requests that succeed, fail and are refused, neither uvicorn's access log nor
the API's or the worker's own lines hold a bearer token, a `token=` parameter or a secret (the secrets are the
JWT signing key and the payment provider's API key, which the worker sends as a Bearer header)."""

import re

import httpx
import pytest

from devtools.stack import RunningService
from tests.e2e.conftest import JWT_SECRET, PAYMENTS_API_KEY
from tests.e2e.twins import AGENT, Party, new_id, open_case, order

pytestmark = pytest.mark.e2e
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


async def test_the_service_s_logs_hold_no_token(patient_service: RunningService) -> None:
    party = Party.new()
    async with httpx.AsyncClient(base_url=patient_service.base_url, timeout=60) as http:
        case_id = await open_case(http, party, await order(http, party))
        approved = await http.post(f"/cases/{case_id}/actions", json={"action": "approve"}, headers=party.merchant)
        assert approved.json()["status"] == "resolved"  # the worker paid the provider, with its API key
        assert (await http.get(f"/cases/{case_id}/timeline", params={"limit": 5}, headers=party.buyer)).is_success
        assert (await http.get(f"/cases/{new_id('case')}", headers=AGENT)).status_code == 404
        assert (
            await http.get("/cases", headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"})
        ).status_code == 401
        again = await http.post(f"/cases/{case_id}/actions", json={"action": "approve"}, headers=party.merchant)
        assert again.status_code == 409

    api_log = patient_service.apis[0].log.read_text(errors="replace")
    worker_log = patient_service.workers[0].log.read_text(errors="replace")
    assert f'"GET /cases/{case_id}/timeline?limit=5 HTTP/1.1" 200' in api_log  # the access log is written
    for name, text in (("api.log", api_log), ("worker.log", worker_log)):
        assert JWT.search(text) is None, name
        assert "bearer" not in text.lower() and "token=" not in text.lower(), name
        assert JWT_SECRET not in text and PAYMENTS_API_KEY not in text, name
