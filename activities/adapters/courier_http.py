"""The courier's service over HTTP (contract in README.md, "Fulfilment and courier"):

| call | request | 2xx answer |
| --- | --- | --- |
| intercept | `POST /interceptions {carrier, tracking_no}` | `{reference, outcome: accepted / refused / too_late}` |
| urge | `POST /urges {carrier, tracking_no}` | `{reference}` (the ticket) |
| delivery record | `POST /delivery-records {carrier, tracking_no}` | `{reference, photo_ref: "…" or null}` |
"""

from datetime import timedelta

from activities.adapters.courier import DeliveryRecord, Interception, InterceptOutcome
from activities.adapters.http_json import JsonService
from activities.adapters.remedy_errors import RemedyUnavailable

NAME = "courier"


class HttpCourier(JsonService):
    def __init__(self, base_url: str, *, timeout: timedelta, api_key: str | None = None) -> None:
        super().__init__(NAME, base_url, timeout=timeout, api_key=api_key)

    async def intercept(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> Interception:
        answer = await self.post("interceptions", idempotency_key, {"carrier": carrier, "tracking_no": tracking_no})
        try:
            outcome = InterceptOutcome(self.text(answer, "outcome"))
        except ValueError as error:
            raise RemedyUnavailable(f"the {NAME} answered an unknown interception outcome") from error
        return Interception(self.text(answer, "reference"), outcome)

    async def urge(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> str:
        answer = await self.post("urges", idempotency_key, {"carrier": carrier, "tracking_no": tracking_no})
        return self.text(answer, "reference")

    async def delivery_record(self, *, idempotency_key: str, carrier: str, tracking_no: str) -> DeliveryRecord:
        body = {"carrier": carrier, "tracking_no": tracking_no}
        answer = await self.post("delivery-records", idempotency_key, body)
        photo = answer.get("photo_ref")
        return DeliveryRecord(self.text(answer, "reference"), photo if isinstance(photo, str) and photo else None)
