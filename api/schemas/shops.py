"""A shop's after-sales settings over the API."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Address = Annotated[str, Field(min_length=1, max_length=500)]


class ShopSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    return_address: Address | None  # null clears it: approvals must then name an address


class ShopSettingsPublic(BaseModel):
    shop_id: str
    return_address: str | None
