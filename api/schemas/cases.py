"""A case as api.md defines it, the body that opens one, and a page of them."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.orders import Cents, Quantity, Strict
from models.case import Case
from rulebook.enums import CaseKind, CaseStatus, Party, ReasonCode


class CaseItem(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity


class CaseCreate(Strict):
    order_id: str = Field(min_length=1, max_length=64)
    kind: CaseKind
    reason: ReasonCode
    description: str = Field(default="", max_length=2000)
    amount_cents: Cents | None = None
    items: list[CaseItem] | None = Field(default=None, max_length=200)
    urgent: bool = False


class DecisionPublic(BaseModel):
    model_config = ConfigDict(extra="allow")

    outcome: str
    amount_cents: int = 0
    by: str = ""
    rules: list[str] = []
    rationale: str = ""


class ProposalPublic(BaseModel):
    model_config = ConfigDict(extra="allow")

    outcome: str
    amount_cents: int | None = None
    message: str | None = None


class CasePublic(BaseModel):
    case_id: str
    kind: CaseKind
    status: CaseStatus
    order_id: str
    buyer_id: str
    shop_id: str
    amount_cents: int
    reason: str
    description: str
    urgent: bool
    awaiting: Party | None
    deadline: datetime | None
    decision: DecisionPublic | None
    proposal: ProposalPublic | None
    created_at: datetime
    updated_at: datetime
    workflow_id: str

    @classmethod
    def of(cls, case: Case) -> "CasePublic":
        return cls.model_validate(case, from_attributes=True)


class CasePage(BaseModel):
    items: list[CasePublic]
    next_cursor: str | None
