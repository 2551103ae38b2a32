"""`python -m rulebook.recheck PACKET.json [--sha SHA256]`: re-derives a decision from its packet with the rule book
at hand (standard library only, like the rule book).

The file is an item of `GET /cases/{id}/decisions` (`{"packet": {…}, "packet_sha256": "…", …}`) or a packet alone,
whose SHA-256 is then claimed by `--sha` or by the file's name (`<sha256>.json`). The packet is refused (exit 2)
when its recomputed SHA-256 is not the one claimed, when nothing claims one, or when it cannot be read. Otherwise
the facts are rebuilt as the rule book saw them and:
- a platform's decision is asked again of the entry point the packet names (`decide.on_open`,
  `decide.on_merchant_timeout`): `same` (exit 0), or what differs (exit 1);
- a person's decision is shown beside what the rules recommend (`decide.recommend`): exit 0 when the
  recommendation re-derives as recorded (a person may depart from the rules), 1 when it does not.
A packet made by another version of the rule book says so first.
"""

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulebook import packets

SHA = re.compile(r"^[0-9a-f]{64}$")
SAME, DIFFERS, REFUSED = 0, 1, 2


@dataclass
class Verdict:
    code: int
    lines: list[str] = field(default_factory=list)


def recheck(packet: Mapping[str, Any], claimed_sha: str | None) -> Verdict:
    """The verdict on `packet`, whose SHA-256 is claimed to be `claimed_sha`."""
    if claimed_sha is None:
        return Verdict(REFUSED, ["refused: nothing claims this packet's SHA-256 (give --sha, or the item it came in)"])
    actual = packets.sha256(packet)
    if actual != claimed_sha.lower():
        return Verdict(REFUSED, [f"refused: the packet's SHA-256 is {actual}, not the {claimed_sha} it claims"])
    try:
        facts = packets.facts_of(packet)
        entry_point = str(packet["entry_point"])
        ask = packets.ENTRY_POINTS[entry_point]
        recorded = packet["recommended"] if packet["decided_by"] == packets.PERSON else packet["decision"]
    except (KeyError, TypeError, ValueError) as error:
        return Verdict(REFUSED, [f"refused: not a decision packet this rule book can read ({error})"])
    verdict = Verdict(SAME)
    made_with = packet.get("rulebook") or {}
    if dict(made_with) != dict(packets.RULEBOOK):
        verdict.lines.append(
            f"note: made by rule book {made_with.get('version')} ({made_with.get('source_sha256')}); "
            f"rechecked with {packets.RULEBOOK['version']} ({packets.RULEBOOK['source_sha256']})"
        )
    derived = packets.to_json(ask(facts))
    differences = _differences(recorded, derived)
    if packet["decided_by"] == packets.PERSON:
        by = packet.get("by") or {}
        who = f"{by.get('role')} {by.get('actor_id')}"
        verdict.lines.append(f"decided by a person ({who}): {_said(packet['decision'])}")
        verdict.lines.append(f"the rules recommended ({entry_point}): {_said(derived)}")
    if differences:
        verdict.code = DIFFERS
        verdict.lines.append(f"differs: {entry_point} on these facts now says otherwise")
        verdict.lines += [f"  {name}: recorded {was!r}, now {now!r}" for name, was, now in differences]
    else:
        verdict.lines.append("same")
    return verdict


def _said(decision: Mapping[str, Any] | None) -> str:
    if decision is None:
        return "nothing at once (wait for the merchant)"
    rules = ", ".join(decision.get("rules") or ()) or "no rule"
    return f"{decision.get('outcome')} {decision.get('amount_cents')} fen [{rules}]"


def _differences(recorded: Any, derived: Any) -> list[tuple[str, Any, Any]]:
    if not isinstance(recorded, Mapping) or not isinstance(derived, Mapping):
        return [] if recorded == derived else [("decision", recorded, derived)]
    names = sorted(set(recorded) | set(derived))
    return [(n, recorded.get(n), derived.get(n)) for n in names if recorded.get(n) != derived.get(n)]


def load(path: Path, sha: str | None) -> tuple[Mapping[str, Any], str | None]:
    """The packet in `path` and the SHA-256 claimed for it."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError("the file holds no JSON object")
    if isinstance(document.get("packet"), dict):
        claimed = document.get("packet_sha256")
        if sha is not None and claimed is not None and sha.lower() != str(claimed).lower():
            raise ValueError(f"--sha {sha} is not the {claimed} the file claims")
        return document["packet"], sha or (str(claimed) if claimed is not None else None)
    if sha is None and SHA.match(path.stem.lower()):
        sha = path.stem.lower()
    return document, sha


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rulebook.recheck", description=__doc__.split("\n")[0])
    parser.add_argument("packet", type=Path, help="an item of GET /cases/{id}/decisions, or a packet alone")
    parser.add_argument("--sha", help="the SHA-256 the packet is claimed to have (a packet alone)")
    args = parser.parse_args(argv)
    try:
        packet, claimed = load(args.packet, args.sha)
    except (OSError, ValueError) as error:
        print(f"refused: {error}")
        return REFUSED
    verdict = recheck(packet, claimed)
    print("\n".join(verdict.lines))
    return verdict.code


if __name__ == "__main__":
    sys.exit(main())
