"""Mixed API load: `python -m bench.mixed [--requests 1500] [--clients 32]`.

On the service as `make dev` runs it (bench.common.running_stack), first a bare workflow update (`bench/engine.py`:
an update that only counts) at the same concurrency, one per waiting bare workflow; then `--clients` clients send a
fixed, shuffled list of `--requests` requests mixing `POST /cases`, `GET /cases/{id}`, `GET /cases` and `approve`
(on cases opened beforehand). Prints p50/p95/p99/max and errors per endpoint beside the bare update, the targets
(`GET /cases/{id}` p99 < 50 ms, an action's p99 ≤ 1.5× the bare update's p99, 0 errors), and what was lost.
"""

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

from bench import engine, load, lost
from bench.common import ResultFile, Stack, add_stack_arguments, machine_line, running_stack, verdict
from bench.service import Service, open_jobs, seed

OPEN, GET, LIST, APPROVE, BARE = "POST /cases", "GET /cases/{id}", "GET /cases", "approve", "bare update"
GET_P99_TARGET_MS = 50.0
ACTION_VS_BARE_TARGET = 1.5


def parse_mix(text: str) -> dict[str, int]:
    """`open=15,get=50,list=20,approve=15` → shares in percent of each endpoint."""
    names = {"open": OPEN, "get": GET, "list": LIST, "approve": APPROVE}
    shares = {names[name]: int(share) for name, share in (part.split("=") for part in text.split(","))}
    if sum(shares.values()) != 100:
        raise ValueError(f"the mix must add up to 100: {text}")
    return shares


def plan(requests: int, shares: dict[str, int], rng: random.Random) -> list[str]:
    labels = [name for name, share in shares.items() for _ in range(requests * share // 100)]
    rng.shuffle(labels)
    return labels


async def bare_updates(stack: Stack, run_id: str, count: int, clients: int) -> load.Run:
    """`count` bare workflows waiting on a timer, then one update each, `clients` at a time."""
    ids, until = [f"bare-{run_id}-{n}" for n in range(count)], time.time() + 24 * 3600
    started = await load.run(((BARE, partial(engine.start_waiting, stack.temporal, w, until)) for w in ids), clients)
    if started.errors:
        raise SystemExit(f"could not start the bare workflows: {started.figures(BARE)['error_samples']}")
    return await load.run(((BARE, partial(engine.poke, stack.temporal, w)) for w in ids), clients)


async def measure(stack: Stack, args: argparse.Namespace, result: ResultFile) -> lost.Tally:
    rng = random.Random(args.seed)
    labels = plan(args.requests, parse_mix(args.mix), rng)
    service = Service(stack.http)
    opens, approves = labels.count(OPEN), labels.count(APPROVE)
    order_ids = await seed(service, opens + approves, args.clients)
    opened: dict[str, str] = {}
    pool = await load.run(open_jobs(service, order_ids[:approves], opened), args.clients)
    print(pool.line(OPEN), "(setup: the cases to approve)")
    bare = await bare_updates(stack, service.run_id, args.bare_updates, args.clients)
    to_approve, readable, fresh = list(opened.values()), list(opened.values()), iter(order_ids[approves:])
    if len(to_approve) < approves:  # the setup's failed openings leave fewer cases to approve: fewer approvals
        print(f"only {len(to_approve)} of {approves} cases to approve opened: the mix approves that many")
        surplus = approves - len(to_approve)
        labels = [label for label in labels if label != APPROVE or (surplus := surplus - 1) < 0]

    async def open_next() -> None:
        order_id = next(fresh)
        opened[order_id] = (await service.open_case(order_id))["case_id"]
        readable.append(opened[order_id])

    async def approve_next() -> None:
        case_id = to_approve.pop()
        if (await service.act(case_id, {"action": "approve"}))["status"] != "resolved":
            raise RuntimeError(f"approved case {case_id} is not resolved")

    def jobs() -> Iterator[tuple[str, load.Job]]:
        for label in labels:
            if label == OPEN:
                yield OPEN, open_next
            elif label == GET:
                yield GET, lambda: service.get_case(rng.choice(readable))
            elif label == LIST:
                yield LIST, lambda: service.list_cases({"limit": "20"})
            else:
                yield APPROVE, approve_next

    mixed = await load.run(jobs(), args.clients)
    figures = {label: mixed.figures(label) for label in (OPEN, GET, LIST, APPROVE)} | {BARE: bare.figures(BARE)}
    for label, shown in figures.items():
        print(load.figures_line(label, shown))
    targets = check_targets(figures, mixed.errors)
    tally = await lost.tally(stack, service.buyer_id, opened.values())
    setup = pool.figures(OPEN)
    result.save(endpoints=figures, setup_open=setup, targets=targets, nothing_lost=tally.figures(), rss_mib=stack.rss())
    return tally


def check_targets(figures: dict[str, dict[str, Any]], errors: int) -> dict[str, bool]:
    """Prints each target beside its figure; returns which were met."""
    get_p99, action_p99 = figures[GET].get("p99_ms", float("inf")), figures[APPROVE].get("p99_ms", float("inf"))
    bound = ACTION_VS_BARE_TARGET * figures[BARE].get("p99_ms", 0.0)
    met = {
        "get_p99_under_50ms": get_p99 < GET_P99_TARGET_MS,
        "action_p99_within_1_5x_bare": action_p99 <= bound,
        "no_errors": errors == 0,
    }
    print("targets:")
    print(
        f"  GET /cases/{{id}} p99 {get_p99:.1f} ms < {GET_P99_TARGET_MS:.0f} ms: {verdict(met['get_p99_under_50ms'])}"
    )
    print(
        f"  approve p99 {action_p99:.1f} ms <= {ACTION_VS_BARE_TARGET}x bare update p99 ({bound:.1f} ms): "
        f"{verdict(met['action_p99_within_1_5x_bare'])} ({action_p99 / max(bound / ACTION_VS_BARE_TARGET, 1e-9):.1f}x)"
    )
    print(f"  errors {errors} = 0: {verdict(met['no_errors'])}")
    return met


async def main(args: argparse.Namespace) -> int:
    result = ResultFile("mixed", vars(args))
    print(machine_line(result.data["machine"]))
    print(f"requests={args.requests} clients={args.clients} mix={args.mix} (dev server + worker + API on this machine)")
    settings = {"AFTERSALES_T_MERCHANT": "24h"}
    async with running_stack(args, settings, connections=args.clients, bare_worker=True) as stack:
        tally = await measure(stack, args, result)
    return lost.report(tally, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--mix", default="open=15,get=50,list=20,approve=15", help="percent of each endpoint")
    parser.add_argument("--bare-updates", type=int, default=500, help="bare workflows updated once each")
    parser.add_argument("--seed", type=int, default=7)
    add_stack_arguments(parser)
    sys.exit(asyncio.run(main(parser.parse_args())))
