"""System evidence on the hash chain (product.md §3, §8): what the platform itself relied on or did becomes an
evidence item of kind `system`, listed with the parties' files — the listing snapshot and the tracking nodes a case
opens on, the merchant's courier-urge record, and the reference of every remedy executed.

Each item rides in the data of the event it belongs to (`system_evidence: [{evidence_id, kind, source, sha256,
content, …}]` on `case_opened`, `resolution_chosen`, `refund_executed`, `coupon_issued`, …), so the chain covers
its content and hash without a step of its own; the recording activity files it with the case's evidence. The
item's id is derived from the case, what it is and its hash: the same content recorded twice is one item.
"""

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from rulebook.enums import EvidenceKind, Resolution
from rulebook.facts import CaseFacts
from workflows.messages import EventDraft

REMEDIES = ("refund_executed", "coupon_issued", "reshipment_instructed", "order_unlocked", "transfer_executed")


def item(case_id: str, source: str, content: Mapping[str, Any]) -> dict[str, Any]:
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    sha = hashlib.sha256(body).hexdigest()
    return {
        "evidence_id": "sys-" + hashlib.sha256(f"{case_id}:{source}:{sha}".encode()).hexdigest()[:12],
        "kind": EvidenceKind.SYSTEM,
        "source": source,
        "sha256": sha,
        "media_type": "application/json",
        "size_bytes": len(body),
        "content": dict(content),
    }


def at_open(case_id: str, facts: CaseFacts) -> list[dict[str, Any]]:
    """The listing snapshot the case relies on, and the tracking nodes it cites (when the parcel has any)."""
    items = [item(case_id, "listing_snapshot", {"items": [dict(i) for i in facts.listing_snapshot]})]
    if facts.tracking:
        nodes = [{"status": t.status, "at": t.at.isoformat(), "location": t.location} for t in facts.tracking]
        items.append(item(case_id, "tracking_nodes", {"nodes": nodes}))
    return items


def of_remedies(case_id: str, events: Sequence[EventDraft]) -> list[dict[str, Any]]:
    """The courier-urge record and each executed remedy's reference among a step's events."""
    found = []
    for event in events:
        if event.type == "resolution_chosen" and event.data.get("resolution") == Resolution.URGE_COURIER_COUPON:
            record = {"by": event.actor_id, "at": event.at.isoformat(), **event.data}
            found.append(item(case_id, "courier_urge", record))
        elif event.type in REMEDIES:
            found.append(item(case_id, event.type, {"at": event.at.isoformat(), **event.data}))
    return found


def attached(case_id: str, events: Sequence[EventDraft]) -> tuple[EventDraft, ...]:
    """The step's events, each remedy and courier-urge record carrying its system evidence item."""
    return tuple(_with(event, of_remedies(case_id, (event,))) for event in events)


def _with(event: EventDraft, found: list[dict[str, Any]]) -> EventDraft:
    if not found or "system_evidence" in event.data:
        return event
    return dataclasses.replace(event, data={**event.data, "system_evidence": found})
