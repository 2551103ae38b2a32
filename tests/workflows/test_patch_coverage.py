"""The replay corpus covers the code: every patch id the workflows name appears in at least one recorded history
(README, Conventions: versioning), so each side of every live patch is replayed by `test_replay.py`."""

import base64
import json
import re
from pathlib import Path

from tests.workflows.test_replay import HISTORIES

WORKFLOWS = Path(__file__).parents[2] / "workflows"
PATCH_CONSTANT = re.compile(r'^[A-Z_]*PATCH = "([a-z0-9-]+)"', re.MULTILINE)


def patch_ids_in_code() -> set[str]:
    return {found for path in WORKFLOWS.glob("*.py") for found in PATCH_CONSTANT.findall(path.read_text())}


def patch_ids_recorded(history: str) -> set[str]:
    """The ids of the patch markers of one history (`core_patch` markers carry `{"id": …}`)."""
    found: set[str] = set()
    for event in json.loads(history)["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if not marker or marker.get("markerName") != "core_patch":
            continue
        for payload in marker["details"]["patch-data"]["payloads"]:
            found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return found


def test_the_code_names_its_patches() -> None:
    assert len(patch_ids_in_code()) >= 15  # the pattern still finds them


def test_every_patch_in_the_code_appears_in_a_recorded_history() -> None:
    recorded = set().union(*(patch_ids_recorded(history) for history in HISTORIES.values()))
    missing = patch_ids_in_code() - recorded
    assert not missing, f"record a history that takes each of {sorted(missing)} (tests/workflows/record_histories.py)"
