"""The Temporal UI views the README asks support agents to save ("Save as New"), as visibility queries.

The UI cannot ORDER BY (nor sort by urgency), so the queue is split by `Priority` into views opened in turn; the
strict order (urgent first, then the soonest deadline) is `GET /agent/queue`. Times are fixed in a saved query
(visibility has no "now"): agents edit the date of the two dated views each day.
"""

CASES = "WorkflowType = 'CaseWorkflow'"
RUNNING = f"{CASES} AND ExecutionStatus = 'Running'"

VIEWS: dict[str, str] = {
    "Urgent arbitration": f"{RUNNING} AND AwaitingParty = 'agent' AND Priority = 3",
    "Arbitration queue": f"{RUNNING} AND AwaitingParty = 'agent'",
    "Urgent": f"{RUNNING} AND Priority >= 2",
    "Mine": f"{RUNNING} AND AssignedAgent = 'agent-1'",  # each agent puts their own id
    "Past deadline": f"{RUNNING} AND DeadlineAt < '2026-12-01T04:00:00Z'",
    # closed today (from 00:00 Beijing time) on R-TIMEOUT's decision, or handed by it to an agent and still waiting
    "R-TIMEOUT today": f"{CASES} AND RulesApplied = 'R-TIMEOUT' AND (CloseTime >= '2026-11-30T16:00:00Z' "
    "OR (ExecutionStatus = 'Running' AND AwaitingParty = 'agent'))",
}
