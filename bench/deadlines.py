"""Deadline storm: `python -m bench.deadlines [--cases 1000] [--t-merchant 60s]`.

T-MERCHANT is read when a case opens and travels with it, so cases opened one after another run out one after
another. To make N of them run out in the same second, each case opens with a short T-MERCHANT and its merchant at
once moves the deadline (`extend`, the product's own way to move a running wait: old deadline + whole seconds) to
one common instant, chosen after a pilot so that every case is open and extended before it. A case's deadline is
the one the API answered after its extension; its lag runs from that deadline until its `deadline_passed` event is
on the timeline (the bench watches the service's database every 0.2 s), and, on the workflow's own clock, until
that event's `at` (when the worker took the fired timer).

Beside it, on the same dev server and before the cases, N bare workflows (`bench/bare_workflow.py`) sleep to one
instant: lag until the workflow completed and, on its clock, until its timer fired. One deadline alone of each is
measured first, on the quiet server. Targets: the storm's p99 ≤ 1.5× the bare p99; one deadline alone < 1 s late.
"""

import argparse
import asyncio
import math
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import text

from bench import engine, load, lost
from bench.common import (
    ResultFile,
    Stack,
    add_stack_arguments,
    machine_line,
    percentiles,
    running_stack,
    verdict,
)
from bench.service import Service, seed
from models.db import create_engine
from rulebook.timers import parse_duration

ALONE_TARGET_S = 1.0
STORM_VS_BARE_TARGET = 1.5
BARE_SAFETY = 2.0  # the instant leaves this many times the pilot's estimate of the time to start them all
EXTENSION_COST = 0.3  # an extension costs about this much of an opening (measured)
MARGIN_SECONDS = 5.0
POLL_SECONDS = 0.2
STEPPED_IN = text(
    "SELECT e.id, e.case_id, e.at FROM case_events e JOIN cases c ON c.case_id = e.case_id "
    "WHERE c.buyer_id = :buyer AND e.type = 'deadline_passed' AND e.id > :after ORDER BY e.id"
)


class Timeline:
    """Watches the service's database for the run's `deadline_passed` events: when each was first seen, its `at`."""

    def __init__(self, stack: Stack, buyer_id: str) -> None:
        self.engine, self.buyer_id = create_engine(stack.database_url), buyer_id
        self.seen: dict[str, tuple[float, float]] = {}  # case id → (first seen, the event's at), epoch seconds
        self._last_id = 0

    async def wait_for(self, case_ids: set[str], timeout: float) -> None:  # noqa: ASYNC109 - the watch's end
        ends = time.time() + timeout
        while not case_ids <= self.seen.keys() and time.time() < ends:
            polled_at = time.time()
            async with self.engine.connect() as conn:
                rows = (await conn.execute(STEPPED_IN, {"buyer": self.buyer_id, "after": self._last_id})).all()
            for row in rows:
                self.seen.setdefault(row.case_id, (polled_at, _epoch(row.at)))
                self._last_id = max(self._last_id, row.id)
            await asyncio.sleep(POLL_SECONDS)

    def lags(self, deadlines: dict[str, float]) -> dict[str, Any]:
        stepped_in = [case_id for case_id in deadlines if case_id in self.seen]
        return {
            "deadlines": len(deadlines),
            "stepped_in": len(stepped_in),
            "on_the_timeline": percentiles([self.seen[c][0] - deadlines[c] for c in stepped_in]),
            "workflow_clock": percentiles([self.seen[c][1] - deadlines[c] for c in stepped_in]),
        }


async def bare_storm(stack: Stack, run_id: str, count: int, concurrency: int) -> dict[str, Any]:
    """`count` bare workflows sleeping to one instant, set after a pilot so that they have all started by then;
    any that started after it anyway are left out of the lags (their timer fired at once)."""
    pilot = [f"bare-{run_id}-pilot-{n}" for n in range(2 * concurrency)]
    began = time.time()  # the pilot's timers fire at once: they only time the starts
    await load.run((("pilot", partial(engine.start_waiting, stack.temporal, w, began)) for w in pilot), concurrency)
    until = time.time() + max(MARGIN_SECONDS, BARE_SAFETY * count * (time.time() - began) / len(pilot))
    ids, armed, fired = [f"bare-{run_id}-{n}" for n in range(count)], dict[str, float](), dict[str, float]()

    async def start(workflow_id: str) -> None:
        await engine.start_waiting(stack.temporal, workflow_id, until)
        armed[workflow_id] = time.time()

    async def result(workflow_id: str) -> None:
        fired[workflow_id] = await engine.fired_at(stack.temporal, workflow_id)

    started = await load.run((("start", partial(start, w)) for w in ids), concurrency)
    await load.run((("result", partial(result, w)) for w in ids), concurrency)
    await asyncio.sleep(1)  # visibility records the last completions
    closed = {
        w.id: w.close_time.timestamp()
        async for w in stack.temporal.list_workflows("WorkflowType = 'BareWorkflow' AND ExecutionStatus = 'Completed'")
        if w.close_time is not None
    }
    in_time = [w for w in ids if armed.get(w, math.inf) < until]
    return {
        "workflows": count,
        "start_errors": started.errors,
        "started_after_the_instant": count - len(in_time),
        "completed": percentiles([closed[w] - until for w in in_time if w in closed]),
        "workflow_clock": percentiles([fired[w] - until for w in in_time if w in fired]),
    }


class CaseStorm:
    """Opens cases and moves each one's deadline to `self.instant`; `deadlines` holds what the API answered."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.instant = math.inf
        self.opened: dict[str, str] = {}  # order id → case id
        self.deadlines: dict[str, float] = {}  # case id → its deadline, epoch seconds
        self.moved: set[str] = set()  # the cases whose deadline was moved to the instant

    async def open(self, order_id: str, move: bool) -> None:
        case = await self.service.open_case(order_id)
        self.opened[order_id] = case["case_id"]
        self.deadlines[case["case_id"]] = _epoch(case["deadline"])
        if move:
            await self.move(case["case_id"])

    async def move(self, case_id: str) -> None:
        seconds = math.ceil(self.instant - self.deadlines[case_id])
        if seconds < 1:
            return  # opened too late for the instant: its own deadline is later
        action = {"action": "extend", "duration": f"{seconds}s", "reason": "压测:同一秒到期"}
        case = await self.service.act(case_id, action)
        self.deadlines[case_id] = _epoch(case["deadline"])
        self.moved.add(case_id)

    @property
    def storm(self) -> dict[str, float]:
        return {case_id: self.deadlines[case_id] for case_id in self.moved}


def _epoch(value: str | datetime) -> float:
    """An API's ISO time, or a database's (SQLite gives the stored text back, naive and in UTC)."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


async def case_storm(
    stack: Stack, service: Service, args: argparse.Namespace, order_ids: list[str]
) -> tuple[CaseStorm, dict[str, Any]]:
    """The cases opened and moved to one instant, and the figures of their opening."""
    storm, t_merchant = CaseStorm(service), parse_duration(args.t_merchant).total_seconds()
    pilot, rest = order_ids[: 2 * args.concurrency], order_ids[2 * args.concurrency :]
    began = time.time()
    await load.run((("open", partial(storm.open, o, False)) for o in pilot), args.concurrency)
    per_case = (1 + EXTENSION_COST) * (time.time() - began) / len(pilot)
    storm.instant = time.time() + args.safety * per_case * len(rest) + t_merchant + MARGIN_SECONDS

    def jobs() -> Iterator[tuple[str, load.Job]]:
        for order_id in pilot:
            yield "extend", partial(storm.move, storm.opened[order_id])
        for order_id in rest:
            yield "open+extend", partial(storm.open, order_id, True)

    opening = await load.run(jobs(), args.concurrency)
    print(opening.line("open+extend"))
    if time.time() > storm.instant:
        print(f"the opening ended {time.time() - storm.instant:.0f} s after the instant: raise --safety")
    not_moved = len(storm.deadlines) - len(storm.moved)
    if not_moved:
        print(f"{not_moved} cases opened too late or not extended: left out of the storm")
    return storm, {name: opening.figures(name) for name in opening.labels}


async def measure(stack: Stack, args: argparse.Namespace, result: ResultFile) -> lost.Tally:
    service = Service(stack.http)
    order_ids = await seed(service, args.cases + 1, args.concurrency)
    timeline = Timeline(stack, service.buyer_id)
    t_merchant = parse_duration(args.t_merchant).total_seconds()

    bare_alone = await bare_storm(stack, f"{service.run_id}-alone", 1, 1)  # a storm of one
    alone = CaseStorm(service)
    await alone.open(order_ids[0], move=False)
    await timeline.wait_for(set(alone.deadlines), t_merchant + 60)
    alone_lags = timeline.lags(alone.deadlines)
    print(_line("one deadline alone", alone_lags["on_the_timeline"], alone_lags["workflow_clock"]))
    print(_line("bare timer alone", bare_alone["completed"], bare_alone["workflow_clock"]))

    bare = await bare_storm(stack, service.run_id, args.bare or args.cases, args.concurrency)
    late = bare["started_after_the_instant"]
    left_out = f", {late} started too late, left out" if late else ""
    print(_line(f"bare storm ({bare['workflows']}{left_out})", bare["completed"], bare["workflow_clock"]))
    storm, opening = await case_storm(stack, service, args, order_ids[1:])
    await asyncio.sleep(max(0.0, storm.instant - time.time()))
    await timeline.wait_for(set(storm.deadlines), args.timeout)
    lags = timeline.lags(storm.storm)
    spread = max(storm.storm.values(), default=0) - min(storm.storm.values(), default=0)
    print(f"case deadlines moved to the instant: {len(storm.storm)}, within {spread:.2f} s")
    print(_line(f"case storm ({len(storm.storm)})", lags["on_the_timeline"], lags["workflow_clock"]))
    targets = check_targets(alone_lags, lags, bare)
    tally = await lost.tally(stack, service.buyer_id, [*alone.opened.values(), *storm.opened.values()])
    result.save(
        alone={"case": alone_lags, "bare": bare_alone},
        storm={**lags, "deadline_spread_s": spread, "not_moved": len(storm.deadlines) - len(storm.moved)},
        opening=opening,
        bare=bare,
        targets=targets,
        nothing_lost=tally.figures(),
        rss_mib=stack.rss(),
    )
    return tally


def _line(name: str, stored: dict[str, Any], clock: dict[str, Any]) -> str:
    if not stored.get("count"):
        return f"{name:<24} nothing stepped in"
    return (
        f"{name:<24} lag p50 {stored['p50_ms']:7.0f}  p99 {stored['p99_ms']:7.0f}  max {stored['max_ms']:7.0f} ms"
        f"   (workflow clock p50 {clock.get('p50_ms', math.nan):6.0f}  p99 {clock.get('p99_ms', math.nan):6.0f} ms)"
    )


def check_targets(alone: dict[str, Any], storm: dict[str, Any], bare: dict[str, Any]) -> dict[str, bool]:
    alone_ms = alone["on_the_timeline"].get("max_ms", math.inf)
    storm_p99 = storm["on_the_timeline"].get("p99_ms", math.inf)
    bound = STORM_VS_BARE_TARGET * bare["completed"].get("p99_ms", 0.0)
    met = {"alone_under_1s": alone_ms < ALONE_TARGET_S * 1000, "storm_p99_within_1_5x_bare": storm_p99 <= bound}
    print("targets:")
    print(f"  one deadline alone {alone_ms:.0f} ms < {ALONE_TARGET_S * 1000:.0f} ms: {verdict(met['alone_under_1s'])}")
    print(
        f"  storm p99 {storm_p99:.0f} ms <= {STORM_VS_BARE_TARGET}x bare p99 ({bound:.0f} ms): "
        f"{verdict(met['storm_p99_within_1_5x_bare'])}"
    )
    return met


async def main(args: argparse.Namespace) -> int:
    result = ResultFile("deadlines", vars(args))
    print(machine_line(result.data["machine"]))
    print(f"cases={args.cases} T-MERCHANT={args.t_merchant} concurrency={args.concurrency} (dev server + worker + API)")
    settings = {"AFTERSALES_T_MERCHANT": args.t_merchant}
    async with running_stack(args, settings, connections=args.concurrency, bare_worker=True) as stack:
        tally = await measure(stack, args, result)
    return lost.report(tally, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--bare", type=int, default=None, help="bare workflows in their storm (default: --cases)")
    parser.add_argument("--t-merchant", default="60s", help="T-MERCHANT the cases open with, before the extension")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--safety", type=float, default=1.5, help="times the pilot's estimate of the opening left")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the storm to step in")
    add_stack_arguments(parser)
    sys.exit(asyncio.run(main(parser.parse_args())))
