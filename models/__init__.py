"""SQLModel tables, one module per aggregate. Importing the package registers every table on the metadata."""

from sqlmodel import SQLModel

from models.case import Case
from models.checkpoint import CaseCheckpoint
from models.decision_packet import DecisionPacketRow
from models.evidence import Evidence
from models.idempotency import IdempotencyRecord
from models.inventory import StockLevel
from models.ledger import LedgerEntry
from models.notification import Notification
from models.order import Order, Shipment, TrackingEventRow
from models.order_line import OrderLine
from models.remedy_call import RemedyCallRow
from models.shop_settings import ShopSettings
from models.timeline import CaseEvent

metadata = SQLModel.metadata

__all__ = [
    "Case",
    "CaseCheckpoint",
    "CaseEvent",
    "DecisionPacketRow",
    "Evidence",
    "IdempotencyRecord",
    "LedgerEntry",
    "Notification",
    "Order",
    "OrderLine",
    "RemedyCallRow",
    "Shipment",
    "ShopSettings",
    "StockLevel",
    "TrackingEventRow",
    "metadata",
]
