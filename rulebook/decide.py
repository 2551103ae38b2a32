"""The platform's calls: the entry points the workflow, the update validators and the API previews ask.

- `on_open`: what the platform decides the moment a case opens (R-SHIPPED-REFUND-ONLY before shipment, R-SMALL);
  None means wait for the merchant.
- `on_merchant_timeout`: R-TIMEOUT. The merchant let T-MERCHANT run out; the platform grants the buyer's request
  when a rule supports it or quality/description evidence backs it, and otherwise hands the case to an agent with
  every rule's findings. A merchant's silence never ends in a rejection: where a rule would reject, an agent decides.
- `recommend`: what the rules say now (previews, and the agent's starting point in arbitration).
- `triage`: R-URGENT on its own, for flagging the case and ordering the offers when it opens.
"""

from dataclasses import replace

from rulebook.decisions import Decision
from rulebook.enums import Outcome
from rulebook.facts import CaseFacts
from rulebook.precedence import AT_ONCE, evaluate
from rulebook.rules.common import FAULT_REASONS, Finding, buyer_photos, grant
from rulebook.rules.urgent import Urgency, flagged, urgency

TIMEOUT = "R-TIMEOUT"
NO_RULE = "No rule of the rule book applies to these facts / 规则未覆盖此情形"


def on_open(facts: CaseFacts) -> Decision | None:
    """A decision the platform makes at once, without waiting on the merchant; None: wait for the merchant."""
    decision = evaluate(facts, AT_ONCE).decision
    if decision is None or decision.outcome == Outcome.TO_AGENT:
        return None
    return flagged(decision, facts)


def on_merchant_timeout(facts: CaseFacts) -> Decision:
    """R-TIMEOUT: the merchant let T-MERCHANT run out."""
    evaluation = evaluate(facts)
    decision = evaluation.decision or _backed_by_evidence(facts)
    findings = evaluation.findings
    if decision is not None and decision.outcome == Outcome.REJECT:
        findings += (Finding(decision.rules[0], decision.rationale_zh, decision.rationale_en, decision.evidence_ids),)
        decision = None
    if decision is None:
        decision = _agent_decides(findings)
    return flagged(_after_timeout(decision, findings), facts)


def recommend(facts: CaseFacts) -> Decision:
    """What the rules say about these facts now; `to_agent` with the findings when no rule decides."""
    evaluation = evaluate(facts)
    decision = evaluation.decision or _agent_decides(evaluation.findings)
    if not decision.rules:
        decision = replace(decision, findings=(NO_RULE,))
    return flagged(_with_findings(decision, evaluation.findings), facts)


def triage(facts: CaseFacts) -> Urgency:
    """R-URGENT when the case opens: flag it, and which fixes to offer first."""
    return urgency(facts)


def _backed_by_evidence(facts: CaseFacts) -> Decision | None:
    """R-TIMEOUT's own ground: the buyer's photos back a quality or description complaint."""
    photos = buyer_photos(facts)
    if facts.reason not in FAULT_REASONS or not photos:
        return None
    zh = "买家上传了商品质量或与描述不符的照片证据,诉求合理,予以支持。"
    en = "The buyer's photos back a quality or description complaint: the request is reasonable and granted."
    return grant(facts, Finding(TIMEOUT, zh, en, photos))


def _agent_decides(findings: tuple[Finding, ...]) -> Decision:
    rules = tuple(dict.fromkeys(f.rule for f in findings))
    evidence = tuple(dict.fromkeys(e for f in findings for e in f.evidence_ids))
    return Decision(
        outcome=Outcome.TO_AGENT,
        amount_cents=0,
        rules=rules,
        rationale_zh="现有规则不足以直接判定,转平台客服裁决。",
        rationale_en="No rule settles the case: an agent decides, starting from the rules' findings.",
        evidence_ids=evidence,
    )


def _with_findings(decision: Decision, findings: tuple[Finding, ...]) -> Decision:
    """A `to_agent` decision carries every finding, those gathered before it first."""
    if decision.outcome != Outcome.TO_AGENT:
        return decision
    rendered = tuple(dict.fromkeys((*(f.render() for f in findings), *decision.findings)))
    rules = tuple(dict.fromkeys((*decision.rules, *(f.rule for f in findings))))
    return replace(decision, findings=rendered, rules=rules)


def _after_timeout(decision: Decision, findings: tuple[Finding, ...]) -> Decision:
    """`decision` as the platform's step-in after the merchant's silence: R-TIMEOUT first, the reason said."""
    decision = _with_findings(decision, findings)
    timeout_zh = "商家超时未处理,平台自动介入:"
    timeout_en = "The merchant did not answer in time; the platform steps in. "
    return replace(
        decision,
        rules=(TIMEOUT, *(r for r in decision.rules if r != TIMEOUT)),
        rationale_zh=timeout_zh + decision.rationale_zh,
        rationale_en=timeout_en + decision.rationale_en,
        findings=(*decision.findings, f"{TIMEOUT}: {timeout_en.strip()} / {timeout_zh}")
        if decision.outcome == Outcome.TO_AGENT
        else decision.findings,
    )
