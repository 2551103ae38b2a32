"""A decision packet: everything needed to re-check one decision, outside the service, with the rule book alone.

A packet holds the facts exactly as the rule book saw them (`CaseFacts`), the settings in force that the rules read
(timers, thresholds and the deadline policy, fixed when the case opened), which rule book it was (its package
version and the SHA-256 of its source files), the decision (outcome, amount, rules fired, findings, rationale) and
who made it. For a person's decision (a merchant's approval, an accepted proposal, an agent's ruling or override,
a merchant's `resolve`) it also holds what the rules recommended on the same facts (`decide.recommend`), so the
two can be read side by side: a person may depart from the rules.

`canonical` is the packet's one byte form (sorted keys, no spaces, UTF-8, not ASCII-escaped); its SHA-256 is
written into the decision's timeline event (`packet_sha256`), so the hash chain covers the packet.
`python -m rulebook.recheck PACKET.json` re-derives a packet's decision (`rulebook/recheck.py`).

`to_json` and `from_json` turn the rule book's frozen dataclasses into JSON values and back (nested dataclasses,
enums, datetimes, dates, timedeltas as seconds, tuples, optionals, mappings).
"""

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from rulebook import decide
from rulebook.deadlines import DeadlinePolicy
from rulebook.decisions import Decision
from rulebook.facts import CaseFacts, Thresholds
from rulebook.timers import Timers

FORMAT = 1
PACKAGE = "aftersales"
FALLBACK_VERSION = "0.1.0"  # the version of pyproject.toml, where the package's metadata cannot be read

ON_OPEN = "decide.on_open"
ON_MERCHANT_TIMEOUT = "decide.on_merchant_timeout"
RECOMMEND = "decide.recommend"
# What a platform's decision was asked through: the packet names it, and the recheck asks the same function.
ENTRY_POINTS: dict[str, Callable[[CaseFacts], Decision | None]] = {
    ON_OPEN: decide.on_open,
    ON_MERCHANT_TIMEOUT: decide.on_merchant_timeout,
    RECOMMEND: decide.recommend,
}

RULES, PERSON = "rules", "person"  # who decided: the platform by its rules, or a person

T = TypeVar("T")


# --- the byte form and its hash --------------------------------------------------------------------------------


def canonical(packet: Mapping[str, Any]) -> bytes:
    return json.dumps(packet, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(packet: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(packet)).hexdigest()


# --- which rule book ---------------------------------------------------------------------------------------------


def source_sha256(root: Path | None = None) -> str:
    """The SHA-256 of the rule book's source files: a manifest line `<file sha256>  <path>` per `*.py` file, in
    sorted path order (paths relative to the package, `/`-separated), hashed as one text."""
    base = root or Path(__file__).resolve().parent
    files = sorted((p.relative_to(base).as_posix(), p) for p in base.rglob("*.py") if "__pycache__" not in p.parts)
    manifest = "".join(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n" for name, path in files)
    return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def _version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return FALLBACK_VERSION


# A constant of the build, computed once when the rule book is first imported (the worker imports it before any
# workflow runs), so a workflow reads it as it reads any other constant.
RULEBOOK: Mapping[str, str] = types.MappingProxyType({"version": _version(), "source_sha256": source_sha256()})


# --- dataclasses to JSON and back ------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A JSON value of the rule book's data: dataclasses as objects, enums as their values, datetimes and dates in
    ISO 8601, timedeltas as seconds, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds == int(seconds) else seconds
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"not a value of the rule book: {value!r}")


def from_json(cls: type[T], data: Any) -> T:
    """`cls` rebuilt from `to_json`'s form; unknown or missing fields of a dataclass are refused (ValueError)."""
    return typing.cast(T, _decode(cls, data))


def _decode(tp: Any, data: Any) -> Any:  # one branch per kind of type
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors: list[str] = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _decode(arg, data)
            except (TypeError, ValueError) as error:
                errors.append(str(error))
        raise ValueError(f"{data!r} is none of {tp}: {'; '.join(errors)}")
    if origin is tuple:
        _expect(data, list, tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in data)
        if len(args) != len(data):
            raise ValueError(f"{tp} wants {len(args)} items, not {len(data)}")
        return tuple(_decode(a, v) for a, v in zip(args, data, strict=True))
    if origin in (list, set, frozenset):
        _expect(data, list, tp)
        return origin(_decode(args[0] if args else Any, v) for v in data)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        _expect(data, dict, tp)
        value_type = args[1] if len(args) == 2 else Any
        return {k: _decode(value_type, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _expect(data, dict, tp)
        hints = typing.get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"{tp.__name__} has no field {', '.join(sorted(unknown))}")
        return tp(**{name: _decode(hints[name], value) for name, value in data.items()})
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is datetime:
        _expect(data, str, tp)
        return datetime.fromisoformat(data)
    if tp is date:
        _expect(data, str, tp)
        return date.fromisoformat(data)
    if tp is timedelta:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"{tp} wants seconds, not {data!r}")
        return timedelta(seconds=data)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"float wanted, not {data!r}")
        return float(data)
    if tp in (int, str, bool):
        if type(data) is not tp:
            raise ValueError(f"{tp.__name__} wanted, not {data!r}")
        return data
    raise TypeError(f"cannot rebuild {tp}")


def _expect(data: Any, kind: type, tp: Any) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"{tp} wants a JSON {kind.__name__}, not {data!r}")


# --- a packet ------------------------------------------------------------------------------------------------------


def settings(timers: Timers, thresholds: Thresholds, deadlines: DeadlinePolicy | None) -> dict[str, Any]:
    """The settings the rules read, as a case fixed them when it opened (also on its `case_opened` event)."""
    return {"timers": to_json(timers), "thresholds": to_json(thresholds), "deadlines": to_json(deadlines)}


def settings_of(fixed: Mapping[str, Any]) -> tuple[Timers, Thresholds, DeadlinePolicy]:
    """`settings`' form read back; a policy not recorded is the default."""
    deadlines = fixed.get("deadlines")
    policy = from_json(DeadlinePolicy, deadlines) if deadlines is not None else DeadlinePolicy()
    return from_json(Timers, fixed["timers"]), from_json(Thresholds, fixed["thresholds"]), policy


def build(
    *,
    case_id: str,
    facts: CaseFacts,
    decision: Decision,
    role: str,
    actor_id: str,
    at: datetime,
    entry_point: str | None,
    deadlines: DeadlinePolicy | None = None,
    event_type: str = "decision_made",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A decision's packet as JSON values. `entry_point` names the rule book's function a platform's decision was
    asked through (`ON_OPEN`, `ON_MERCHANT_TIMEOUT`); None for a person's decision, whose packet carries the rules'
    recommendation on the same facts instead. `deadlines` is the case's deadline policy (paused days, the
    extension's cap); `extra` what the event says beside the decision (a `resolve`'s resolution)."""
    by_rules = entry_point is not None
    packet: dict[str, Any] = {
        "format": FORMAT,
        "case_id": case_id,
        "event": event_type,
        "at": at.isoformat(),
        "rulebook": dict(RULEBOOK),
        "settings": settings(facts.timers, facts.thresholds, deadlines),
        "facts": to_json(facts),
        "decided_by": RULES if by_rules else PERSON,
        "entry_point": entry_point if by_rules else RECOMMEND,
        "by": {"role": str(role), "actor_id": actor_id},
        "decision": to_json(decision),
        "extra": to_json(dict(extra or {})),
    }
    if not by_rules:
        packet["recommended"] = to_json(decide.recommend(facts))
    return packet


def facts_of(packet: Mapping[str, Any]) -> CaseFacts:
    return from_json(CaseFacts, packet["facts"])
