"""Progress messages of the remedies carried out through fulfilment and the courier, in Chinese and English."""

from collections.abc import Callable
from typing import Any

from rulebook.enums import Party

Notice = tuple[Party, str, str]  # to whom, Chinese, English (activities/notices.py makes them notices)


def _reshipment_created(d: dict[str, Any]) -> list[Notice]:
    parcel = f"{d['carrier']} {d['tracking_no']}"
    return [
        (
            Party.BUYER,
            f"已为您补发商品,快递 {parcel},从 {d['warehouse']} 发出;签收后售后完成。",
            f"Your goods were sent again ({parcel}, from {d['warehouse']}); the case closes once they are delivered.",
        ),
        (
            Party.MERCHANT,
            f"平台已通过仓库为买家补发({parcel},{d['warehouse']},单号 {d['reference']}),费用由商家承担。",
            f"The goods were reshipped through fulfilment ({parcel}, {d['warehouse']}, ref {d['reference']}), "
            "at the merchant's cost.",
        ),
    ]


def _reshipment_failed(d: dict[str, Any]) -> list[Notice]:
    zh = f"补发未能完成:{str(d['reason'])[:200]}。平台客服将介入处理。"
    en = f"The reshipment could not be made: {str(d['reason'])[:200]}. Platform support steps in."
    return [(Party.BUYER, zh, en), (Party.MERCHANT, zh, en)]


CATALOG: dict[str, Callable[[dict[str, Any]], list[Notice]]] = {
    "reshipment_created": _reshipment_created,
    "reshipment_failed": _reshipment_failed,
}


def render(event_type: str, data: dict[str, Any]) -> list[Notice]:
    draw = CATALOG.get(event_type)
    return draw(data) if draw else []
