"""Response minimisation (reliability.md BOPLA-02): each role sees of the buyer what its part needs.

A merchant sees the buyer's phone masked, and the street address only on a case where the merchant ships to the
buyer (a replacement, a reshipment, a missed or oversold order); otherwise the region the parcel went to. Agents
and the system see everything.
"""

from typing import Any

from rulebook.enums import CaseKind, Role

MERCHANT_SHIPS = frozenset({CaseKind.EXCHANGE, CaseKind.NOT_RECEIVED, CaseKind.MISSED_SHIPMENT, CaseKind.OVERSOLD})
REGION = ("name", "province", "city", "district")


def masked_phone(phone: str) -> str:
    """`13800001234` → `138****1234`: enough to recognise, not enough to call."""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def shipping_address(address: dict[str, Any], role: Role, kind: CaseKind) -> dict[str, Any]:
    if role != Role.MERCHANT:
        return address
    shown = dict(address) if kind in MERCHANT_SHIPS else {k: address[k] for k in REGION if k in address}
    if "phone" in address:
        shown["phone"] = masked_phone(str(address["phone"]))
    return shown
