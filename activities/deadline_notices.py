"""What both parties are told when a deadline moves or runs out: which timer, set when, with what pause or
extension, and what happens now. Texts only, `(zh, en)`; `activities.notices` addresses them."""

from typing import Any

from rulebook.labels import TIMER_EN, TIMER_ZH, WHO_ZH, when_en, when_zh

UNIT_ZH = {"s": "秒", "m": "分钟", "h": "小时", "d": "天"}

# What happens now, by `rulebook.deadlines.AfterDeadline`; the platform's hand-offs also say what they hand off.
THEN = {
    "platform_steps_in": (
        "商家未在时限内处理,平台已按规则自动介入。",
        "The merchant did not act in time, so the platform stepped in by the rule book.",
    ),
    "evidence_not_given": (
        "买家未在时限内补充证据,平台将依据现有材料处理。",
        "The buyer did not provide the evidence in time: the platform takes the case with what is on file.",
    ),
    "proposal_lapses": (
        "买家未在时限内答复,方案已失效,平台将依据现有材料处理。",
        "The buyer did not answer in time: the proposal lapsed and the platform takes the case with what is on file.",
    ),
    "rejection_stands": (
        "买家未在时限内申请平台介入,商家的拒绝成立,申请已关闭。",
        "The buyer did not contest the rejection in time: it stands and the request is closed.",
    ),
    "request_closes": (
        "买家未在时限内寄回商品,退货申请已关闭。",
        "The return was not shipped in time; the request is closed as withdrawn.",
    ),
    "receipt_confirmed": (
        "商家未在时限内确认收货,系统已自动确认收货。",
        "The merchant did not confirm receipt in time; receipt was confirmed automatically.",
    ),
    "agent_reminded": (
        "平台客服未在时限内完成裁决,案件已提升优先级并提醒客服尽快处理。",
        "Platform support has not decided in time; the case was moved up and support reminded.",
    ),
}
AGENT_STEPS_IN = {
    "awaiting_replacement": (
        "商家未在时限内寄出换货商品,平台客服将介入处理。",
        "The merchant did not ship the replacement in time; platform support steps in.",
    ),
    "return_in_transit": (
        "退货物流长时间没有更新,平台客服将介入处理。",
        "The return's tracking has not moved in time; platform support steps in.",
    ),
    "replacement_in_transit": (
        "换货物流长时间没有更新,平台客服将介入处理。",
        "The replacement's tracking has not moved in time; platform support steps in.",
    ),
}
STEPS_IN = ("平台客服将介入处理。", "Platform support steps in.")


def passed(d: dict[str, Any]) -> tuple[str, str]:
    """A wait ran out. Older events carry only `timer` and `waited_on`: they are told as much as they hold."""
    timer, code = str(d.get("timer") or ""), d.get("then")
    if code is None:
        then = _generic(d)
    else:
        then = THEN.get(str(code)) or AGENT_STEPS_IN.get(str(d.get("case_status")), STEPS_IN)
    set_zh, set_en = _how_set(d)
    name_en = TIMER_EN.get(timer, "a deadline")
    zh = f"{TIMER_ZH.get(timer, '处理时限')}已到期{set_zh}。{then[0]}"
    en = f"{name_en[0].upper()}{name_en[1:]} ran out{set_en}. {then[1]}"
    return zh, en


def extended(d: dict[str, Any]) -> tuple[str, str]:
    extension = d["extension"]
    reason = str(extension["reason"])[:200]
    zh = f"商家申请延长处理时间至{when_zh(extension['new_deadline'])},原因:{reason}"
    en = (
        f"The merchant extended the deadline by {extension['duration']} to {when_en(extension['new_deadline'])}, "
        f"because: {reason}"
    )
    return zh, en


def _how_set(d: dict[str, Any]) -> tuple[str, str]:
    if not d.get("set_at"):
        return "", ""
    zh = f"(设定于{when_zh(d['set_at'])},时长{_span_zh(d['wait'])}"
    en = f" (set {when_en(d['set_at'])} for {d['wait']}"
    if d.get("paused"):
        zh += f",已顺延平台暂停的{_span_zh(d['paused'])}"
        en += f", plus {d['paused']} the platform paused"
    if d.get("extension"):
        extension = d["extension"]
        zh += f",含商家申请的延长{_span_zh(extension['duration'])}"
        en += f", plus the merchant's {extension['duration']} extension"
    zh += f",截止{when_zh(d['deadline'])})"
    en += f", due {when_en(d['deadline'])})"
    return zh, en


def _generic(d: dict[str, Any]) -> tuple[str, str]:
    who = d.get("waited_on")
    return (
        f"{WHO_ZH.get(str(who), '对方')}未在时限内处理,平台已按规则介入。",
        f"The {who} did not act in time, so the platform stepped in by the rule book.",
    )


def _span_zh(span: str) -> str:
    """`24h` → `24小时` (the spelling of `rulebook.timers.format_duration`)."""
    return f"{span[:-1]}{UNIT_ZH.get(span[-1], span[-1])}" if span else span
