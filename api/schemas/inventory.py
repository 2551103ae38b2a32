"""Stock per warehouse from the inventory feed (role `system`)."""

from typing import Self

from pydantic import BaseModel, Field, model_validator

from api.schemas.orders import Id, Strict


class WarehouseLocation(Strict):
    province: str = Field(min_length=1, max_length=64)
    city: str = Field(min_length=1, max_length=64)
    district: str = Field(default="", max_length=64)


class WarehouseStock(Strict):
    warehouse_id: Id
    available: int = Field(ge=0, le=10_000_000)
    location: WarehouseLocation
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates_or_none(self) -> Self:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng come together")
        return self


class InventoryPut(Strict):
    """The SKU's stock in every warehouse that holds it: replaces what the feed said before."""

    warehouses: list[WarehouseStock] = Field(max_length=500)

    @model_validator(mode="after")
    def _one_row_per_warehouse(self) -> Self:
        ids = [w.warehouse_id for w in self.warehouses]
        if len(ids) != len(set(ids)):
            raise ValueError("each warehouse_id appears once")
        return self


class InventoryPublic(BaseModel):
    sku: str
    available: int  # across warehouses
    warehouses: list[WarehouseStock]
    oversold_case_ids: list[str]  # cases this change opened
    unlocked_order_ids: list[str] = []  # locked orders this change covers again (a restock), oldest first
