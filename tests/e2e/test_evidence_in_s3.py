"""Evidence through the running service, kept in S3 as production keeps it: the API process reads its S3 settings
from the environment, writes the object once under the prefix, and serves only bytes that still match their hash."""

import hashlib
import uuid

import httpx
import pytest

from tests.api.evidence_helpers import png
from tests.e2e.conftest import Service
from tests.e2e.test_refund_story import case_body, delivered_order, token
from tests.support.s3_server import s3_client
from tests.support.stored_files import BucketFiles

pytestmark = pytest.mark.e2e


async def test_an_upload_lands_once_in_the_bucket_and_a_changed_object_is_not_served(
    service: Service, s3_endpoint: str
) -> None:
    buyer, shop = f"b-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    as_buyer = token("buyer", buyer)
    content = png()
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http, s3_client(s3_endpoint) as s3:
        order_id = await delivered_order(http, buyer, shop)
        case_id = (await http.post("/cases", json=case_body(order_id), headers=as_buyer)).json()["case_id"]
        files = {"file": ("IMG_0001.png", content, "image/png")}
        for _ in range(2):
            uploaded = await http.post(
                f"/cases/{case_id}/evidence", files=files, data={"kind": "photo"}, headers=as_buyer
            )
            assert uploaded.status_code == 201, uploaded.text
        evidence_id = uploaded.json()["evidence_id"]
        bucket = BucketFiles(s3, service.evidence_bucket, "evidence")
        key = f"{case_id}/{hashlib.sha256(content).hexdigest()}.png"

        assert await bucket.keys(case_id) == [key] and await bucket.read(key) == content
        assert len(await bucket.writes(key)) == 1  # the second upload found it there
        served = await http.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=as_buyer)
        assert served.content == content

        await bucket.write(key, content[:-1] + b"\x00")
        refused = await http.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=as_buyer)
        assert (refused.status_code, refused.json()["error"]["code"]) == (500, "evidence_corrupted")
