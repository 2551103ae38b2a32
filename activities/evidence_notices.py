"""What both parties are told of a request for evidence and its answer, in Chinese and English.

The request is recorded by the API's `request_evidence`, the agents' UI update of the same name, and the rule book's
own needs on opening (R-EXPIRED, R-NOT-RECEIVED); older events name the party `party` instead of `from` and carry no
deadline."""

from typing import Any

from rulebook.enums import Party
from rulebook.labels import WHO_ZH, when_en, when_zh

Notice = tuple[Party, str, str]  # to whom, Chinese, English (activities/notices.py makes them notices)

WHO_EN = {"buyer": "the buyer", "merchant": "the merchant", "agent": "platform support", "system": "the platform"}
ASKER_ZH = {**WHO_ZH, "system": "平台"}


def requested(d: dict[str, Any]) -> list[Notice]:
    party = Party(str(d.get("from") or d.get("party")))
    other = Party.MERCHANT if party == Party.BUYER else Party.BUYER
    what = str(d.get("what") or "")[:200]
    by = str(d.get("asked_by") or d.get("actor_role") or "agent")
    by_zh, by_en = ASKER_ZH.get(by, "平台"), WHO_EN.get(by, "the platform")
    until_zh = f",请在 {when_zh(d['deadline'])} 前提供" if d.get("deadline") else ""
    until_en = f" by {when_en(d['deadline'])}" if d.get("deadline") else ""
    asked = (
        party,
        f"{by_zh}请您补充证据:{what}{until_zh}。",
        f"{by_en.capitalize()} asks you for evidence{until_en}: {what}.",
    )
    told = (
        other,
        f"{by_zh}已请{WHO_ZH[party]}补充证据:{what}。",
        f"{by_en.capitalize()} asked {WHO_EN[party]} for evidence: {what}.",
    )
    return [asked, told]


def answered(d: dict[str, Any]) -> list[Notice]:
    party = str(d["from"])
    back_zh = "平台客服继续处理" if d.get("case_status") == "in_arbitration" else "案件回到商家处理"
    back_en = (
        "platform support takes it from here" if d.get("case_status") == "in_arbitration" else "the merchant's move"
    )
    until_zh = f",截止 {when_zh(d['deadline'])}" if d.get("deadline") else ""
    until_en = f" (until {when_en(d['deadline'])})" if d.get("deadline") else ""
    zh = f"{WHO_ZH.get(party, '对方')}已补充证据,{back_zh}{until_zh}。"
    en = f"{WHO_EN.get(party, 'The party').capitalize()} answered the request for evidence; {back_en}{until_en}."
    return [(Party.BUYER, zh, en), (Party.MERCHANT, zh, en)]
