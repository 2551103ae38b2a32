"""The service's data converter: pydantic's JSON, its type adapters shared by every workflow run of the process."""

import dataclasses
from datetime import UTC, datetime

from rulebook.enums import CaseKind, CaseStatus
from rulebook.timers import Timers
from workflows.messages import ActionRequest, CaseInput
from workflows.payloads import PayloadConverter, data_converter, process_wide


def test_types_the_process_imported_are_shared_and_a_sandbox_s_copies_are_not() -> None:
    assert all(process_wide(hint) for hint in (CaseInput, list[str], ActionRequest | None, CaseStatus, None))

    @dataclasses.dataclass
    class Copy:  # as a workflow's own module re-imported into its sandbox: not what its module holds
        n: int

    assert not process_wide(Copy)
    assert not process_wide(list[Copy])


def test_each_run_s_converter_decodes_what_the_service_encodes() -> None:
    case = CaseInput(
        case_id="c-1",
        kind=CaseKind.REFUND_ONLY,
        order_id="o-1",
        buyer_id="b-1",
        shop_id="s-1",
        amount_cents=5000,
        reason="quality_defect",
        urgent=False,
        timers=Timers(),
    )
    payloads = data_converter.payload_converter.to_payloads([case, ["a", "b"], datetime(2026, 1, 1, tzinfo=UTC)])
    for run in (PayloadConverter(), PayloadConverter()):  # what the SDK builds for each workflow run
        assert run.from_payloads(payloads, [CaseInput, list[str], datetime]) == [
            case,
            ["a", "b"],
            datetime(2026, 1, 1, tzinfo=UTC),
        ]
