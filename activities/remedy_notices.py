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


def _both(zh: str, en: str) -> list[Notice]:
    return [(Party.BUYER, zh, en), (Party.MERCHANT, zh, en)]


def _fulfilment_cancelled(d: dict[str, Any]) -> list[Notice]:
    return _both(
        f"订单已取消发货(单号 {d['reference']}),退款随后到账。",
        f"The shipment was cancelled (ref {d['reference']}); the refund follows.",
    )


def _cancel_failed(d: dict[str, Any]) -> list[Notice]:
    reason = str(d["reason"])[:200]
    return _both(
        f"取消发货未成功:{reason}。平台客服将介入处理。",
        f"The shipment could not be cancelled: {reason}. Platform support steps in.",
    )


def _intercepted(d: dict[str, Any]) -> list[Notice]:
    parcel = f"{d['carrier']} {d['tracking_no']}"
    return _both(
        f"快递已受理拦截({parcel},单号 {d['reference']}),包裹退回商家后即退款。",
        f"The courier is bringing the parcel back ({parcel}, ref {d['reference']}); the refund follows its return.",
    )


INTERCEPTION_ZH = {"refused": "快递拒绝拦截", "too_late": "已来不及拦截"}
INTERCEPTION_EN = {"refused": "the courier refused", "too_late": "too late to stop it"}


def _interception_refused(d: dict[str, Any]) -> list[Notice]:
    outcome = str(d["outcome"])
    why_zh, why_en = INTERCEPTION_ZH.get(outcome, "未能拦截"), INTERCEPTION_EN.get(outcome, "not stopped")
    return _both(
        f"快递未能拦截包裹({why_zh}),请买家签收后与商家协商,协商不成可申请平台介入。",
        f"The courier could not intercept the parcel ({why_en}): once it is delivered the merchant and the "
        "buyer agree on the request, or ask the platform to step in.",
    )


def _interception_failed(d: dict[str, Any]) -> list[Notice]:
    reason = str(d["reason"])[:200]
    return _both(
        f"拦截未成功:{reason}。平台客服将介入处理。", f"The interception failed: {reason}. Platform support steps in."
    )


def _remedy_failed(d: dict[str, Any]) -> list[Notice]:
    reason = str(d["reason"])[:200]
    return _both(
        f"处理方案未能执行:{reason}。平台客服将介入处理。", f"The remedy failed: {reason}. Platform support steps in."
    )


CATALOG: dict[str, Callable[[dict[str, Any]], list[Notice]]] = {
    "reshipment_created": _reshipment_created,
    "reshipment_failed": _reshipment_failed,
    "stock_transferred": lambda d: [
        (
            Party.MERCHANT,
            f"紧急调拨已完成:{d['quantity']} 件 {d['sku']} 从 {d['from_warehouse']} 调往 {d['to_warehouse']}"
            f"(单号 {d['reference']}),随后由该仓补发。",
            f"Emergency transfer done: {d['quantity']} x {d['sku']} from {d['from_warehouse']} to "
            f"{d['to_warehouse']} (ref {d['reference']}); the goods ship from there.",
        ),
        (
            Party.BUYER,
            "商家已从附近仓库紧急调货,将尽快为您发出。",
            "The merchant moved stock from a nearby warehouse; your goods ship shortly.",
        ),
    ],
    "return_address_missing": lambda d: [
        *_both(
            "退货已获批准,但商家未设置退货地址,暂不需寄回;平台客服将介入处理。",
            "The return was granted but the shop has no return address: do not ship yet; platform support steps in.",
        ),
        (
            Party.AGENT,
            "退货获批但店铺无默认退货地址,请联系商家或改判。",
            "A return was granted but the shop has no default return address: contact the merchant or rule again.",
        ),
    ],
    "transfer_failed": lambda d: _both(
        f"紧急调拨未能完成:{str(d['reason'])[:200]}。平台客服将介入处理。",
        f"The emergency transfer could not be made: {str(d['reason'])[:200]}. Platform support steps in.",
    ),
    "fulfilment_cancelled": _fulfilment_cancelled,
    "fulfilment_cancel_failed": _cancel_failed,
    "parcel_intercepted": _intercepted,
    "interception_refused": _interception_refused,
    "interception_failed": _interception_failed,
    "interception_missed": lambda d: _both(
        "包裹在拦截前已签收,请商家与买家协商处理。",
        "The parcel was delivered before it could be stopped: the parties agree.",
    ),
    "courier_urged": lambda d: _both(
        f"已催促快递({d['carrier']} {d['tracking_no']},工单 {d['reference']})。",
        f"The courier was urged ({d['carrier']} {d['tracking_no']}, ticket {d['reference']}).",
    ),
    "transport_upgraded": lambda d: _both(
        f"包裹已改为更快的运输方式({d['tracking_no']},单号 {d['reference']})。",
        f"The parcel was moved to a faster transport ({d['tracking_no']}, ref {d['reference']}).",
    ),
    "urge_failed": _remedy_failed,
    "upgrade_transport_failed": _remedy_failed,
    "courier_delivery_record": lambda d: [
        (
            Party.MERCHANT,
            f"快递派送记录:{'有签收照片 ' + str(d['photo_ref']) if d.get('photo_ref') else '无签收照片'}。",
            f"The courier's delivery record: {'photo ' + str(d['photo_ref']) if d.get('photo_ref') else 'no photo'}.",
        )
    ],
    "intercept_requested": lambda d: [
        (Party.BUYER, "商家已申请拦截包裹。", "The merchant asked the courier to stop the parcel.")
    ],
}


def render(event_type: str, data: dict[str, Any]) -> list[Notice]:
    draw = CATALOG.get(event_type)
    return draw(data) if draw else []
