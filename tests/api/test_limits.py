"""Size limits (reliability.md EVID-01, RATE-01): uploads over the cap and huge JSON bodies are 413, with or
without a Content-Length, no partial file is left, and the service stops reading at the cap."""

import json
from collections.abc import AsyncIterator

from httpx import AsyncClient

from api.body_limit import JSON_MAX_BYTES, MULTIPART_OVERHEAD
from tests.api.evidence_helpers import Sessions, Storage, both_stores, chunks, multipart, rows, sized, upload
from tests.api.helpers import EVIDENCE_MAX_BYTES, SYSTEM, error, new_id, open_case, order_body, push_order


async def _case(client: AsyncClient) -> tuple[dict[str, str], str]:
    order = await push_order(client)
    return order.buyer, (await open_case(client, order))["case_id"]


@both_stores
async def test_a_file_of_exactly_the_cap_is_taken_and_one_byte_more_is_413(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    buyer, case_id = await _case(client)
    assert storage.app.state.settings.evidence_max_bytes == EVIDENCE_MAX_BYTES

    at_cap = await upload(client, case_id, buyer, sized(EVIDENCE_MAX_BYTES))
    over = await upload(client, case_id, buyer, sized(EVIDENCE_MAX_BYTES + 1))

    assert (at_cap.status_code, at_cap.json()["size_bytes"]) == (201, EVIDENCE_MAX_BYTES)
    assert (over.status_code, error(over)["code"]) == (413, "file_too_large")
    assert len(await rows(db, case_id)) == 1
    assert len(await storage.files.keys(case_id)) == 1  # no partial file of the refused upload


@both_stores
async def test_without_a_content_length_an_upload_over_the_cap_is_413_and_leaves_nothing(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    buyer, case_id = await _case(client)
    body, content_type = multipart(sized(EVIDENCE_MAX_BYTES + 1))

    response = await client.post(
        f"/cases/{case_id}/evidence", content=chunks(body), headers={**buyer, "Content-Type": content_type}
    )

    assert (response.status_code, error(response)["code"]) == (413, "file_too_large")
    assert await rows(db, case_id) == []
    assert await storage.files.keys(case_id) == []


async def test_an_endless_chunked_upload_is_cut_off_at_the_cap(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    buyer, case_id = await _case(client)
    head, content_type = multipart(b"")
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head[: head.index(b"\r\n--test-boundary-7d3f--")]
        while sent < 8 * EVIDENCE_MAX_BYTES:  # endless, as far as the service can tell; bounded if it never stops
            sent += 64 * 1024
            yield b"\xff" * (64 * 1024)

    response = await client.post(
        f"/cases/{case_id}/evidence", content=endless(), headers={**buyer, "Content-Type": content_type}
    )

    assert (response.status_code, error(response)["code"]) == (413, "file_too_large")
    assert sent <= EVIDENCE_MAX_BYTES + MULTIPART_OVERHEAD + 2 * 64 * 1024
    assert await storage.files.keys(case_id) == []


async def test_a_declared_content_length_over_the_cap_is_refused_before_the_body_is_read(client: AsyncClient) -> None:
    buyer, case_id = await _case(client)
    _, content_type = multipart(b"")
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(10):
            read += 1
            yield b"x" * 1024

    declared = str(EVIDENCE_MAX_BYTES + MULTIPART_OVERHEAD + 1)
    headers = {**buyer, "Content-Type": content_type, "Content-Length": declared}
    response = await client.post(f"/cases/{case_id}/evidence", content=body(), headers=headers)

    assert (response.status_code, error(response)["code"]) == (413, "file_too_large")
    assert read <= 1


async def test_a_huge_json_body_is_413_with_or_without_a_content_length(client: AsyncClient) -> None:
    order_id = new_id("order")
    body = order_body(order_id, new_id("buyer"), new_id("shop"))
    body["items"][0]["listing"]["description"] = "x" * JSON_MAX_BYTES
    raw = json.dumps(body).encode()
    headers = {**SYSTEM, "Content-Type": "application/json"}

    declared = await client.post("/orders", content=raw, headers=headers)
    chunked = await client.post("/orders", content=chunks(raw), headers=headers)
    keyed = await client.post("/orders", content=chunks(raw), headers={**headers, "Idempotency-Key": new_id("k")})

    for response in (declared, chunked, keyed):
        assert (response.status_code, error(response)["code"]) == (413, "payload_too_large")
    assert (await client.get(f"/orders/{order_id}", headers=SYSTEM)).status_code == 404


async def test_a_keyed_upload_over_the_cap_is_413_too(client: AsyncClient, db: Sessions) -> None:
    buyer, case_id = await _case(client)
    body, content_type = multipart(sized(EVIDENCE_MAX_BYTES + MULTIPART_OVERHEAD))
    headers = {**buyer, "Content-Type": content_type, "Idempotency-Key": new_id("key")}

    response = await client.post(f"/cases/{case_id}/evidence", content=chunks(body), headers=headers)

    assert (response.status_code, error(response)["code"]) == (413, "file_too_large")
    assert await rows(db, case_id) == []


async def test_a_form_of_a_thousand_parts_is_refused_without_a_5xx(client: AsyncClient, db: Sessions) -> None:
    buyer, case_id = await _case(client)
    fields = "".join(f'--b\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n' for i in range(1001))
    body = f"{fields}--b--\r\n".encode()

    response = await client.post(
        f"/cases/{case_id}/evidence", content=body, headers={**buyer, "Content-Type": "multipart/form-data; boundary=b"}
    )

    assert 400 <= response.status_code < 500, response.text
    assert await rows(db, case_id) == []
