"""A case's story as a support agent reads it in the Temporal UI's current details (Markdown): facts, the item(s),
the delivery, urgency, the rules' findings, the merchant's claims, evidence (each opened through a short-lived
signed link the API mints for the agent: `api/evidence_links.py`), the last messages, money moved and left.

`CaseStory` is fed every event the workflow records, so it is rebuilt on replay like the rest of its state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rulebook.enums import CaseStatus
from rulebook.labels import (
    CLAIM_ZH,
    EVIDENCE_ZH,
    KIND_ZH,
    OUTCOME_ZH,
    REASON_ZH,
    SOURCE_ZH,
    STATUS_ZH,
    TRACKING_ZH,
    WHO_ZH,
    when_zh,
    word,
    yuan,
)

if TYPE_CHECKING:
    from workflows.messages import CaseInput, EventDraft

BEIJING = timezone(timedelta(hours=8), "北京时间")
FINDINGS_SHOWN, EVIDENCE_SHOWN, MESSAGES_SHOWN, ITEMS_SHOWN, NODES_SHOWN = 6, 10, 5, 5, 3
STEP_ZH = {
    "case_opened": "案件开立",
    "decision_made": "规则/客服裁决",
    "deadline_passed": "期限已到",
    "evidence_added": "新证据",
    "message": "留言",
    "refund_executed": "退款到账",
    "coupon_issued": "发放优惠券",
    "case_closed": "结案",
    "escalated": "申请平台介入",
    "merchant_rejected": "商家拒绝",
    "proposal_made": "商家提出方案",
    "evidence_requested": "要求补充证据",
    "evidence_answered": "已补充证据",
    "timeline_diverged": "流程与时间线不一致,转客服",
}
ARBITRATION_WHY = {
    "escalated": "一方申请平台介入",
    "proposal_declined": "买家拒绝商家方案",
    "deadline_passed": "期限已到,规则未能自动裁决",
    "receipt_confirmed": "商家反馈退回商品有问题",
}


@dataclass(frozen=True)
class View:
    """The workflow's state the UI shows."""

    case: CaseInput
    status: CaseStatus
    deadline: datetime | None
    urgent: bool
    decision: dict[str, Any] | None
    refundable_cents: int


@dataclass
class CaseStory:
    """What happened so far, as far as an agent needs it; fed every recorded event (deterministically rebuilt on
    replay, like the rest of the workflow's state)."""

    rules: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # the last MESSAGES_SHOWN
    moved_cents: int = 0
    coupons_cents: int = 0
    why_arbitration: str = ""
    assignee: str = ""
    cancelled: str = ""
    last_cause: str = ""
    items: list[str] = field(default_factory=list)  # the item(s) the case names, from the listing snapshot
    delivery: list[str] = field(default_factory=list)  # the parcel's last tracking nodes, oldest first
    claims: list[str] = field(default_factory=list)  # what the merchant says of the goods (merchant_rejected)

    def add(self, *events: EventDraft) -> None:
        for event in events:
            self._add(event)
        # only what the details show is kept: the story stays small across continue-as-new
        del self.findings[:-FINDINGS_SHOWN], self.evidence[:-EVIDENCE_SHOWN], self.messages[:-MESSAGES_SHOWN]
        del self.items[ITEMS_SHOWN:], self.delivery[:-NODES_SHOWN]

    @classmethod
    def resumed(cls, told: dict[str, Any]) -> CaseStory:
        """The story as a run before the one carried state handed it on (a dict)."""
        return cls(**told)

    def _add(self, event: EventDraft) -> None:
        d, who = event.data, word(WHO_ZH, event.actor_role)
        for relied_on in d.get("system_evidence", ()):
            self._system_evidence(relied_on)
        if event.type == "case_opened":
            self._rule(*d.get("urgent_rules", ()))
        elif event.type == "decision_made":
            self._decided(d, who)
        elif event.type == "evidence_added":
            note = f" · {d['note'][:80]}" if d.get("note") else ""
            self.evidence.append(f"{word(EVIDENCE_ZH, d['kind'])} · {who}{note}|{d['evidence_id']}")
        elif event.type in ("message", "merchant_rejected", "escalated", "proposal_declined", "proposal_made"):
            text = d.get("text") or d.get("reason") or d.get("message")
            if text:
                self.messages.append(f"{who}({word(STEP_ZH, event.type)}):{str(text)[:200]}")
            if event.type == "merchant_rejected":
                said = [word(CLAIM_ZH, claim) for claim in d.get("claims", ())]
                self.claims.extend(claim for claim in said if claim not in self.claims)
        elif event.type == "case_cancelled":
            by, why = str(d.get("by") or ""), str(d.get("reason") or "")
            by = "Temporal UI" if by in ("", "unidentified", "temporal-ui") else f"客服 {by}"
            told = why and why != "cancelled in the Temporal UI"
            how = "(agent 的 cancel 更新)" if d.get("via") == "cancel_update" else "(Temporal UI 的取消请求)"
            self.cancelled = f"{by} 取消" + (f",原因:{why[:200]}" if told else "(未填写原因)") + how
        elif event.type == "reassigned":
            self.assignee = str(d["to"])
        elif event.type == "refund_executed":
            self.moved_cents += int(d["amount_cents"])
        elif event.type == "coupon_issued":
            self.coupons_cents += int(d["amount_cents"])
        self.last_cause = ARBITRATION_WHY.get(event.type, self.last_cause)

    def _system_evidence(self, relied_on: dict[str, Any]) -> None:
        """What the platform relied on: the items (listing snapshot), the parcel's tracking, each remedy's record."""
        source, content = str(relied_on.get("source", "")), relied_on.get("content") or {}
        if source == "listing_snapshot" and not self.items:
            for item in content.get("items", ())[:ITEMS_SHOWN]:
                quantity = f" × {item['quantity']}" if item.get("quantity") else ""
                self.items.append(f"{str(item.get('title') or '')[:60]}(SKU `{item.get('sku', '')}`){quantity}")
        elif source == "tracking_nodes":
            self.delivery = [_node(node) for node in content.get("nodes", ())[-NODES_SHOWN:]]
        if relied_on.get("evidence_id"):
            label = f"{word(EVIDENCE_ZH, 'system')} · {word(SOURCE_ZH, source)}"
            self.evidence.append(f"{label}|{relied_on['evidence_id']}")

    def _decided(self, d: dict[str, Any], who: str) -> None:
        rules = [str(rule) for rule in d.get("rules", ())]
        self._rule(*rules)
        outcome = word(OUTCOME_ZH, d.get("outcome"))
        finding = (
            f"{', '.join(rules) or who}:{outcome} {yuan(d.get('amount_cents') or 0)} — {d.get('rationale_zh', '')}"
        )
        self.findings.append(finding[:300])
        if d.get("outcome") == "to_agent":
            self.why_arbitration = self.last_cause or "规则未能自动裁决"
            self.findings.extend(f"  · {found}"[:200] for found in d.get("findings", ())[:5])

    def _rule(self, *rules: str) -> None:
        self.rules.extend(rule for rule in rules if rule not in self.rules)


ACT_HELP = (
    "**处理** 右上角 More Actions → Send an Update(Update ID 可留空;提交前先点 JSON 编辑框外):"
    '`decide` `{"agent_id": "你的工号", "outcome": "refund", "rationale": "理由"}` · '
    '`message` `{"agent_id": "…", "text": "…"}` · '
    '`request_evidence` `{"agent_id": "…", "party": "buyer", "what": "…"}` · '
    '`cancel` `{"agent_id": "…", "reason": "…"}`;'
    "标着 SERVICE ONLY 的 `act`、`add_evidence`、`opened`、`tracking` 是系统自用的"
)


def details(view: View, story: CaseStory, headline: str) -> str:
    """The case page's current details: the story first, how to act last."""
    c = view.case
    sections = [f"### {headline}", _facts(view, story), *_goods(story), *_why(view, story), *_findings(story)]
    sections += _claims(story) + _evidence(c, story)
    if story.messages:
        sections.append("**最近留言**\n" + "\n".join(f"- {line}" for line in story.messages))
    sections.append(_money(view, story))
    if not view.status.is_final:
        sections.append(ACT_HELP)
    return "\n\n".join(sections)


def _facts(view: View, story: CaseStory) -> str:
    c = view.case
    facts = [
        f"**订单** `{c.order_id}` · 买家 `{c.buyer_id}` · 店铺 `{c.shop_id}` · 案件 `{c.case_id}`",
        f"**申请** {word(KIND_ZH, c.kind)} {yuan(c.amount_cents)} · 原因 {word(REASON_ZH, c.reason)}",
        f"**状态** {word(STATUS_ZH, view.status)}" + (f" · 截止 {_at(view.deadline)}" if view.deadline else ""),
    ]
    if story.cancelled:
        facts.append(f"**取消** {story.cancelled}")
    if story.assignee:
        facts.append(f"**负责客服** `{story.assignee}`")
    if view.urgent:
        facts.append("**紧急** 是(R-URGENT 或仲裁超时):优先处理")
    return "  \n".join(facts)


def _node(node: dict[str, Any]) -> str:
    """'2026-12-03 14:00(北京时间) 已签收 上海浦东'."""
    return f"{when_zh(node.get('at'))} {word(TRACKING_ZH, node.get('status'))} {node.get('location') or ''}".strip()


def _goods(story: CaseStory) -> list[str]:
    lines = [f"**商品** {'; '.join(story.items)}"] if story.items else []
    if story.delivery:
        lines.append("**物流** " + " → ".join(story.delivery))
    return ["  \n".join(lines)] if lines else []


def _claims(story: CaseStory) -> list[str]:
    return [f"**商家主张** {'、'.join(story.claims)}"] if story.claims else []


def _why(view: View, story: CaseStory) -> list[str]:
    if view.status != CaseStatus.IN_ARBITRATION:
        return []
    return [f"**为何到仲裁** {story.why_arbitration or story.last_cause or '一方申请平台介入'}"]


def _findings(story: CaseStory) -> list[str]:
    if not story.findings:
        return []
    rules = f"(规则:{', '.join(story.rules)})" if story.rules else ""
    return [f"**规则与裁决**{rules}\n" + "\n".join(f"- {line}" for line in story.findings[-FINDINGS_SHOWN:])]


def _evidence(case: CaseInput, story: CaseStory) -> list[str]:
    if not story.evidence:
        return []
    lines = []
    for entry in story.evidence[-EVIDENCE_SHOWN:]:
        label, evidence_id = entry.rsplit("|", 1)
        lines.append(f"- {label} · `{evidence_id}`")
    how = (
        f"**证据**(打开:`POST /agent/cases/{case.case_id}/evidence/<证据编号>/link` 带客服令牌,"
        "得到仅限本人、本文件、5 分钟内有效的链接,在浏览器中打开)"
    )
    return [how + "\n" + "\n".join(lines)]


def _money(view: View, story: CaseStory) -> str:
    money = f"**金额** 申请 {yuan(view.case.amount_cents)} · 已退 {yuan(story.moved_cents)}"
    money += f" · 仍可退 {yuan(view.refundable_cents)}"
    if story.coupons_cents:
        money += f" · 优惠券 {yuan(story.coupons_cents)}"
    if view.status.is_final and view.decision:
        outcome = word(OUTCOME_ZH, view.decision.get("outcome"))
        money += f"  \n**结果** {outcome} {yuan(view.decision.get('amount_cents') or 0)}"
    return money


def _at(moment: datetime) -> str:
    return f"{moment.astimezone(BEIJING):%m-%d %H:%M}(北京时间)"
