"""OpenAPI links: which call a response leads to, and where the next call's ids come from.

They describe the real flow — an order is posted, shipped and tracked; a case is opened on it, read, given
evidence and acted on — so a client (and schemathesis' stateful tests) can follow it from the document alone.
"""

from typing import Any

Link = dict[str, Any]

CASE_ID = "$response.body#/case_id"


def link(method: str, path: str, description: str, *, body: dict[str, Any] | None = None, **parameters: str) -> Link:
    """A link to `method path`, its parameters (and body fields) taken from runtime expressions."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    target: Link = {"operationRef": f"#/paths/{pointer}/{method.lower()}", "description": description}
    if parameters:
        target["parameters"] = parameters
    if body:
        target["requestBody"] = body
    return target


def leads_to(status: int, **links: Link) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry adding `links` to the route's `status` answer."""
    return {status: {"links": links}}


def _case_reads(case_id: str) -> dict[str, Link]:
    return {
        "GetCase": link("GET", "/cases/{case_id}", "The case as it stands", case_id=case_id),
        "GetTimeline": link("GET", "/cases/{case_id}/timeline", "Every event of the case", case_id=case_id),
        "VerifyTimeline": link("GET", "/cases/{case_id}/verify", "The hash chain checked", case_id=case_id),
    }


ORDER_POSTED = leads_to(
    201,
    ReadOrder=link("GET", "/orders/{order_id}", "The order and its ledger", order_id="$response.body#/order_id"),
    ShipOrder=link("POST", "/orders/{order_id}/shipments", "The order's parcel", order_id="$response.body#/order_id"),
    OpenCase=link(
        "POST", "/cases", "The buyer opens a case on the order", body={"order_id": "$response.body#/order_id"}
    ),
)

SHIPMENT_ADDED = leads_to(
    201,
    TrackParcel=link(
        "POST",
        "/logistics/events",
        "A tracking event of the parcel",
        body={"tracking_no": "$response.body#/tracking_no"},
    ),
)

CASE_OPENED = leads_to(
    201,
    **_case_reads(CASE_ID),
    GetFacts=link("GET", "/cases/{case_id}/facts", "What the rules see", case_id=CASE_ID),
    GetResolutions=link("GET", "/cases/{case_id}/resolutions", "The ranked remedies", case_id=CASE_ID),
    ListEvidence=link("GET", "/cases/{case_id}/evidence", "The case's evidence", case_id=CASE_ID),
    UploadEvidence=link("POST", "/cases/{case_id}/evidence", "A party adds a file", case_id=CASE_ID),
    ActOnCase=link("POST", "/cases/{case_id}/actions", "A party's command", case_id=CASE_ID),
)

ACTION_TAKEN = leads_to(
    200, **_case_reads(CASE_ID), ActAgain=link("POST", "/cases/{case_id}/actions", "The next command", case_id=CASE_ID)
)

EVIDENCE_ADDED = leads_to(
    201,
    DownloadEvidence=link(
        "GET",
        "/cases/{case_id}/evidence/{evidence_id}",
        "The file, re-hashed",
        case_id="$response.body#/case_id",
        evidence_id="$response.body#/evidence_id",
    ),
    ListEvidence=link("GET", "/cases/{case_id}/evidence", "The case's evidence", case_id="$response.body#/case_id"),
    CiteEvidence=link(
        "POST",
        "/cases/{case_id}/actions",
        "A command citing the file",
        case_id="$response.body#/case_id",
        body={"evidence_ids": ["$response.body#/evidence_id"]},
    ),
)
