"""Evidence uploads and downloads (product.md §8; reliability.md EVID-02..06, BOLA-01/02/04)."""

import asyncio
import hashlib
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlmodel import col
from temporalio.testing import ActivityEnvironment

from activities.evidence_sweep import EvidenceSweep
from api.errors import InvalidState
from api.evidence_store import EvidenceStore
from api.routes import evidence as evidence_routes
from models.case import Case
from rulebook.enums import CaseStatus, Role
from settings import Settings
from tests.api.evidence_helpers import (
    KEY,
    Sessions,
    Storage,
    both_stores,
    chat_json,
    chat_text,
    jpeg,
    multipart,
    pdf,
    png,
    rows,
    timeline,
    upload,
)
from tests.api.helpers import AGENT, SYSTEM, act, auth, error, new_id, open_case, push_order
from workflows.evidence_sweep_messages import EvidenceSweepRequest, EvidenceSweepResult

EVIDENCE_FIELDS = {
    "evidence_id",
    "case_id",
    "kind",
    "sha256",
    "size_bytes",
    "media_type",
    "note",
    "original_name",
    "uploaded_by",
    "created_at",
}


async def _open(client: AsyncClient) -> tuple[Any, str]:
    order = await push_order(client)
    return order, (await open_case(client, order))["case_id"]


@both_stores
async def test_a_buyer_uploads_a_photo_that_is_stored_by_hash_and_joins_the_timeline(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    order, case_id = await _open(client)
    content = png()

    response = await upload(client, case_id, order.buyer, content, note="开线处", name="IMG_0001.png")

    assert response.status_code == 201, response.text
    item = response.json()
    assert set(item) == EVIDENCE_FIELDS
    assert (item["case_id"], item["kind"], item["note"], item["original_name"]) == (
        case_id,
        "photo",
        "开线处",
        "IMG_0001.png",
    )
    assert (item["sha256"], item["size_bytes"]) == (hashlib.sha256(content).hexdigest(), len(content))
    assert item["media_type"] == "image/png"  # sniffed, not the image/jpeg the client claimed
    assert item["uploaded_by"] == {"role": "buyer", "id": order.buyer_id}
    [row] = await rows(db, case_id)
    assert KEY.match(row.storage_key) and row.storage_key == f"{case_id}/{item['sha256']}.png"
    assert await storage.files.read(row.storage_key) == content

    added = [e for e in await timeline(client, case_id, order.merchant) if e["type"] == "evidence_added"]
    assert [(e["data"]["evidence_id"], e["data"]["sha256"], e["actor"]) for e in added] == [
        (item["evidence_id"], item["sha256"], {"role": "buyer", "id": order.buyer_id})
    ]
    verified = await client.get(f"/cases/{case_id}/verify", headers=order.buyer)
    events = len(await timeline(client, case_id, order.buyer))
    checked = verified.json()
    assert checked.pop("checkpoint")["events"] == events
    assert checked == {"valid": True, "events": events, "anchored": True}
    listed = await client.get(f"/cases/{case_id}/evidence", headers=order.merchant)
    uploaded = [e for e in listed.json()["items"] if e["kind"] != "system"]  # beside the platform's own items
    assert listed.status_code == 200 and uploaded == [item]


@both_stores
async def test_the_download_is_the_same_bytes_served_as_an_attachment_that_browsers_must_not_sniff(
    client: AsyncClient,
) -> None:
    order, case_id = await _open(client)
    content = png()
    evidence_id = (await upload(client, case_id, order.buyer, content)).json()["evidence_id"]

    for headers in (order.buyer, order.merchant, AGENT):
        response = await client.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=headers)
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(content).hexdigest()
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-disposition"] == f'attachment; filename="{evidence_id}.png"'
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_merchant_and_the_agent_upload_too_and_the_uploader_is_the_person(client: AsyncClient) -> None:
    order, case_id = await _open(client)

    by_merchant = await upload(client, case_id, order.merchant, pdf(), kind="courier_record", name="签收.pdf")
    by_agent = await upload(client, case_id, AGENT, jpeg(), kind="other")

    assert (by_merchant.status_code, by_agent.status_code) == (201, 201)
    assert by_merchant.json()["uploaded_by"] == {"role": "merchant", "id": f"clerk-of-{order.shop_id}"}
    assert (by_merchant.json()["kind"], by_merchant.json()["media_type"]) == ("courier_record", "application/pdf")
    assert by_agent.json()["uploaded_by"] == {"role": "agent", "id": "agent-1"}


@pytest.mark.parametrize(
    ("content", "claimed", "name", "sniffed"),
    [
        (png, "application/pdf", "receipt.pdf", "image/png"),
        (jpeg, "text/plain", "notes.txt", "image/jpeg"),
        (pdf, "image/png", "photo.png", "application/pdf"),
        (chat_text, "image/jpeg", "chat.jpg", "text/plain; charset=utf-8"),
        (chat_json, "application/octet-stream", "chat", "application/json"),
    ],
)
async def test_the_type_is_sniffed_from_the_bytes_never_taken_from_the_name_or_the_label(
    client: AsyncClient, db: Sessions, content: Any, claimed: str, name: str, sniffed: str
) -> None:
    order, case_id = await _open(client)

    response = await upload(client, case_id, order.buyer, content(), kind="chat_log", name=name, content_type=claimed)

    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == sniffed.split(";")[0]
    [row] = await rows(db, case_id)
    assert (
        row.storage_key.rsplit(".", 1)[1]
        == {
            "image/png": "png",
            "image/jpeg": "jpg",
            "application/pdf": "pdf",
            "text/plain": "txt",
            "application/json": "json",
        }[row.media_type]
    )
    download = await client.get(f"/cases/{case_id}/evidence/{row.evidence_id}", headers=order.buyer)
    assert download.headers["content-type"] == sniffed


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"<html><body>hi</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?php system($_GET["c"]); ?>',
        "聊天记录\n<p>ok</p><script>steal()</script>\n".encode(),
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40,
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40,
        "café latin-1".encode("latin-1"),
        b"plain text with a NUL\x00 byte",
    ],
    ids=["html", "html-bare", "svg", "php", "script-in-text", "gif", "zip", "elf", "latin1", "nul"],
)
async def test_markup_binaries_and_non_utf8_text_labelled_as_images_are_refused_and_nothing_is_kept(
    client: AsyncClient, db: Sessions, storage: Storage, content: bytes
) -> None:
    order, case_id = await _open(client)

    response = await upload(client, case_id, order.buyer, content, name="photo.jpg", content_type="image/jpeg")

    assert (response.status_code, error(response)["code"]) == (415, "unsupported_media_type")
    assert await rows(db, case_id) == []
    assert await storage.files.keys(case_id) == []
    assert not [e for e in await timeline(client, case_id, order.buyer) if e["type"] == "evidence_added"]


async def test_an_empty_file_is_refused(client: AsyncClient, db: Sessions) -> None:
    order, case_id = await _open(client)
    response = await upload(client, case_id, order.buyer, b"")
    assert (response.status_code, error(response)["code"]) == (422, "empty_file")
    assert await rows(db, case_id) == []


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "..\\..\\x",
        "/abs",
        "/etc/passwd",
        "a/b",
        "%2e%2e%2f",
        "evil\x00.png",
        "x" * 300,
        "photo\u202egnp.exe",
        "",
        ".",
        "..",
    ],
    ids=["dotdot", "backslash", "abs", "passwd", "nested", "encoded", "nul", "300", "rtl", "empty", "dot", "dotdot2"],
)
async def test_hostile_file_names_never_reach_the_path(
    client: AsyncClient, db: Sessions, storage: Storage, api_settings: Settings, name: str
) -> None:
    order, case_id = await _open(client)
    content = png()
    body, content_type = multipart(content, filename=name)  # by hand: httpx would escape or drop some names

    response = await client.post(
        f"/cases/{case_id}/evidence", content=body, headers={**order.buyer, "Content-Type": content_type}
    )

    assert response.status_code == 201, response.text
    [row] = await rows(db, case_id)
    assert KEY.match(row.storage_key), row.storage_key
    assert row.storage_key == f"{case_id}/{hashlib.sha256(content).hexdigest()}.png"
    assert await storage.files.keys(case_id) == [row.storage_key]
    assert all(p.is_dir() for p in api_settings.evidence_dir.iterdir())  # nothing landed beside the case folders
    kept = response.json()["original_name"]
    assert len(kept) <= 255 and "\x00" not in kept and "\u202e" not in kept


@both_stores
async def test_a_file_changed_in_storage_is_refused_on_read_and_a_missing_one_too(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    order, case_id = await _open(client)
    content = png()
    evidence_id = (await upload(client, case_id, order.buyer, content)).json()["evidence_id"]
    [row] = await rows(db, case_id)
    flipped = bytearray(content)
    flipped[-5] ^= 0x01
    await storage.files.write(row.storage_key, bytes(flipped))

    corrupted = await client.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=order.buyer)

    assert (corrupted.status_code, error(corrupted)["code"]) == (500, "evidence_corrupted")
    assert bytes(flipped) not in corrupted.content

    again = await upload(client, case_id, order.buyer, content)  # the bytes the key promises restore the file
    assert again.status_code == 201 and await storage.files.read(row.storage_key) == content
    assert (await client.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=order.buyer)).content == content

    await storage.files.remove(row.storage_key)
    missing = await client.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=order.buyer)
    assert (missing.status_code, error(missing)["code"]) == (500, "evidence_missing")


@both_stores
async def test_the_same_bytes_twice_make_two_records_of_one_untouched_file(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    order, case_id = await _open(client)
    content = png()
    first = (await upload(client, case_id, order.buyer, content, note="first")).json()
    [row] = await rows(db, case_id)
    before = await storage.files.writes(row.storage_key)

    second = (await upload(client, case_id, order.merchant, content, kind="other", note="second")).json()
    other = (await upload(client, case_id, order.buyer, png())).json()

    assert first["evidence_id"] != second["evidence_id"] and first["sha256"] == second["sha256"]
    assert {r.storage_key for r in await rows(db, case_id) if r.sha256 == first["sha256"]} == {row.storage_key}
    assert await storage.files.writes(row.storage_key) == before  # written once, never again
    assert await storage.files.read(row.storage_key) == content
    assert other["sha256"] != first["sha256"]
    assert len(await storage.files.keys(case_id)) == 2
    added = [
        e["data"]["evidence_id"] for e in await timeline(client, case_id, order.buyer) if e["type"] == "evidence_added"
    ]
    assert added == [first["evidence_id"], second["evidence_id"], other["evidence_id"]]


async def test_only_the_cases_people_see_or_add_its_evidence(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    order, case_id = await _open(client)
    evidence_id = (await upload(client, case_id, order.buyer, png())).json()["evidence_id"]
    other_order, other_case = await _open(client)
    stranger = auth(Role.BUYER, new_id("buyer"))
    other_shop = auth(Role.MERCHANT, "clerk", shop_id=new_id("shop"))

    for headers in (stranger, other_shop, other_order.buyer):
        assert (await client.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=headers)).status_code == 404
        assert (await client.get(f"/cases/{case_id}/evidence", headers=headers)).status_code == 404
        denied = await upload(client, case_id, headers, png())
        assert (denied.status_code, error(denied)["code"]) == (404, "not_found")
    nested = await client.get(f"/cases/{other_case}/evidence/{evidence_id}", headers=other_order.buyer)
    assert nested.status_code == 404  # /cases/{mine}/evidence/{theirs}
    assert (await client.get(f"/cases/{case_id}/evidence/nope", headers=order.buyer)).status_code == 404
    system = await upload(client, case_id, SYSTEM, png())
    assert (system.status_code, error(system)["code"]) == (403, "forbidden")
    assert (await client.post(f"/cases/{case_id}/evidence", files={"file": ("x", png())})).status_code == 401

    assert [r.evidence_id for r in await rows(db, case_id)] == [evidence_id]
    assert len(await storage.files.keys(case_id)) == 1
    assert await rows(db, other_case) == []


async def test_a_closed_case_takes_no_evidence_and_nothing_is_stored(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    order = await push_order(client, shipped=False)
    case = await open_case(client, order, reason="not_shipped")  # refunded at once: resolved
    assert case["status"] == "resolved"
    events = await timeline(client, case["case_id"], order.buyer)

    response = await upload(client, case["case_id"], order.buyer, png())

    assert (response.status_code, error(response)["code"], error(response)["status"]) == (
        409,
        "invalid_state",
        "resolved",
    )
    assert await rows(db, case["case_id"]) == []
    assert await storage.files.keys(case["case_id"]) == []
    assert await timeline(client, case["case_id"], order.buyer) == events


@both_stores
async def test_when_the_workflow_refuses_after_the_file_was_stored_the_upload_is_undone(
    client: AsyncClient, db: Sessions, storage: Storage
) -> None:
    """The projection still says open while the workflow has closed the case (a race): the row goes at once, the
    file with the evidence sweep (here with no grace)."""
    order, case_id = await _open(client)
    assert (await act(client, case_id, order.merchant, action="approve")).json()["status"] == "resolved"
    async with db() as session, session.begin():
        await session.exec(update(Case).where(col(Case.case_id) == case_id).values(status=CaseStatus.AWAITING_MERCHANT))
    events = await timeline(client, case_id, order.buyer)

    response = await upload(client, case_id, order.buyer, png())

    assert (response.status_code, error(response)["code"]) == (409, "invalid_state")
    assert await rows(db, case_id) == []
    assert len(await storage.files.keys(case_id)) == 1  # until the sweep
    assert await timeline(client, case_id, order.buyer) == events
    assert (await _sweep(db, storage, grace_seconds=3600)).deleted == 0  # younger than the grace
    assert (await _sweep(db, storage, grace_seconds=0)).deleted == 1
    assert await storage.files.keys(case_id) == []


@both_stores
async def test_a_withdrawn_upload_never_takes_the_file_of_an_upload_of_the_same_bytes_still_recording(
    client: AsyncClient, db: Sessions, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upload A has stored its file (the key was free or already held those bytes) and not yet committed its record
    when upload B of the same bytes is refused by the case and withdrawn; upload C comes after. A and C download."""
    order, case_id = await _open(client)
    content, a_stored, b_withdrawn = png(), asyncio.Event(), asyncio.Event()
    save, withdraw, send = EvidenceStore.save, evidence_routes._withdraw, evidence_routes.add_evidence
    saves = 0

    async def save_then_wait_for_b(self: EvidenceStore, case: str, source: Any) -> Any:
        nonlocal saves
        saves, stored = saves + 1, await save(self, case, source)
        if saves == 1:  # upload A: stored, its record not committed until B is withdrawn
            a_stored.set()
            await b_withdrawn.wait()
        return stored

    async def refuse_b(client: Any, case: Any, added: Any) -> None:
        if added.note == "B":
            raise InvalidState("the case moved on meanwhile", CaseStatus.RESOLVED)
        await send(client, case, added)

    async def withdraw_then_let_a_go(session: Any, evidence: Any) -> None:
        await withdraw(session, evidence)
        b_withdrawn.set()

    monkeypatch.setattr(EvidenceStore, "save", save_then_wait_for_b)
    monkeypatch.setattr(evidence_routes, "add_evidence", refuse_b)
    monkeypatch.setattr(evidence_routes, "_withdraw", withdraw_then_let_a_go)

    upload_a = asyncio.create_task(upload(client, case_id, order.buyer, content, note="A"))
    await a_stored.wait()
    upload_b = await upload(client, case_id, order.merchant, content, note="B")
    upload_c = await upload(client, case_id, order.merchant, content, note="C")
    a = await upload_a

    assert (upload_b.status_code, a.status_code, upload_c.status_code) == (409, 201, 201)
    assert sorted(r.note for r in await rows(db, case_id)) == ["A", "C"]
    assert (await _sweep(db, storage, grace_seconds=0)).deleted == 0  # both records name the file
    for uploaded in (a, upload_c):
        evidence_id = uploaded.json()["evidence_id"]
        downloaded = await client.get(f"/cases/{case_id}/evidence/{evidence_id}", headers=order.buyer)
        assert (downloaded.status_code, downloaded.content) == (200, content)


async def _sweep(db: Sessions, storage: Storage, *, grace_seconds: float) -> EvidenceSweepResult:
    blobs = storage.app.state.services.evidence.blobs
    return await ActivityEnvironment().run(EvidenceSweep(db, blobs).sweep_evidence, EvidenceSweepRequest(grace_seconds))


async def test_an_upload_with_an_idempotency_key_is_stored_once_although_each_try_has_a_new_boundary(
    client: AsyncClient, db: Sessions
) -> None:
    order, case_id = await _open(client)
    content, key = png(), {"Idempotency-Key": new_id("key")}

    first = await upload(client, case_id, {**order.buyer, **key}, content, note="n")
    again = await upload(client, case_id, {**order.buyer, **key}, content, note="n")
    reused = await upload(client, case_id, {**order.buyer, **key}, png(), note="n")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert (reused.status_code, error(reused)["code"]) == (422, "idempotency_key_reused")
    assert [r.evidence_id for r in await rows(db, case_id)] == [first.json()["evidence_id"]]


async def test_bad_form_fields_are_422(client: AsyncClient, db: Sessions) -> None:
    order, case_id = await _open(client)

    bad_kind = await upload(client, case_id, order.buyer, png(), kind="selfie")
    long_note = await upload(client, case_id, order.buyer, png(), note="x" * 1001)
    no_file = await client.post(f"/cases/{case_id}/evidence", data={"kind": "photo"}, headers=order.buyer)

    assert [r.status_code for r in (bad_kind, long_note, no_file)] == [422, 422, 422]
    assert await rows(db, case_id) == []
