"""Throughput and latency of the case service end to end: `python -m bench.cases [--cases N] [--concurrency C]`.

Starts what `make dev` starts (a Temporal dev server with the WAL pragmas and one task-queue partition, the worker,
the API) on free ports in a temporary directory, then over real HTTP: posts N orders, opens N refund cases (each a
workflow start and an update round trip), approves them all (an update, the refund activity, the recording
activity), and reads them back. Prints requests/s, latency percentiles, what was lost (nothing should be), memory.

`--vs-engine` instead sets the opening against the engine's own ceiling on the same dev server: first N bare
workflows (`bench/bare_workflow.py`, their own worker process) started until each waits on a timer, one
update-with-start each as a case's opening is, then N cases opened through `POST /cases` until each waits on the
merchant, both at the same concurrency; its last line is `open rate vs engine: <ratio>` (target ≥ 0.6).
"""

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from bench import engine, load, lost
from bench.common import (
    ResultFile,
    Stack,
    add_stack_arguments,
    cpu_line,
    cpu_per_hundred,
    machine_line,
    running_stack,
)
from bench.service import Service, open_jobs, seed


async def vs_engine(stack: Stack, args: argparse.Namespace, result: ResultFile) -> lost.Tally:
    service, warmup = Service(stack.http), args.concurrency
    order_ids = await seed(service, args.cases + warmup, args.concurrency)
    until = time.time() + 24 * 3600  # the bare workflows wait as long as the cases do: past the benchmark

    def bare_jobs(first: int, count: int) -> Iterator[tuple[str, load.Job]]:
        for n in range(first, first + count):
            workflow_id = f"bare-{service.run_id}-{n}"
            yield "bare start", partial(engine.start_waiting, stack.temporal, workflow_id, until)

    opened: dict[str, str] = {}
    await load.run(bare_jobs(0, warmup), args.concurrency)  # both sides warm: connections, caches, sandbox imports
    await load.run(open_jobs(service, order_ids[:warmup], opened), args.concurrency)
    cpu_at_start = stack.cpu()
    bare = await load.run(bare_jobs(warmup, args.cases), args.concurrency)
    cpu_between = stack.cpu()
    cases = await load.run(open_jobs(service, order_ids[warmup:], opened), args.concurrency)
    cpu_at_end = stack.cpu()
    bare_cpu = cpu_per_hundred(cpu_at_start, cpu_between, args.cases)
    case_cpu = cpu_per_hundred(cpu_between, cpu_at_end, args.cases)
    print(bare.line("bare start"), "(update-with-start until the workflow waits on its timer)")
    print("   ", cpu_line(bare_cpu))
    print(cases.line("POST /cases"), "(until the case waits on the merchant)")
    print("   ", cpu_line(case_cpu))
    bare_rate, case_rate = bare.figures("bare start")["per_second"], cases.figures("POST /cases")["per_second"]
    tally = await lost.tally(stack, service.buyer_id, opened.values())
    result.save(
        bare=bare.figures("bare start"),
        cases=cases.figures("POST /cases"),
        ratio=round(case_rate / bare_rate, 2) if bare_rate else None,
        cpu_seconds_per_100={"bare": bare_cpu, "cases": case_cpu},
        nothing_lost=tally.figures(),
        rss_mib=stack.rss(),
    )
    return tally


async def scenario(stack: Stack, args: argparse.Namespace, result: ResultFile) -> lost.Tally:
    service = Service(stack.http)
    order_ids = await seed(service, args.cases, args.concurrency)
    rss_before, opened = stack.rss(), dict[str, str]()
    opening = await load.run(open_jobs(service, order_ids, opened), args.concurrency)
    print(opening.line("POST /cases"))

    def approve_jobs() -> Iterator[tuple[str, load.Job]]:
        for case_id in opened.values():
            yield "approve", partial(_approve, service, case_id)

    approving = await load.run(approve_jobs(), args.concurrency)
    print(approving.line("approve"))
    resolved = await _count(service, {"status": "resolved", "limit": "100"})
    rss_after, sizes = stack.rss(), await stack.database_sizes()
    print(f"cases opened {len(opened)}/{args.cases}, resolved and read back {resolved}")
    print(f"RSS MiB before opening {rss_before}, after approving {rss_after}")
    per_case = sizes["temporal_db_mib"] * 1024 / max(len(opened), 1)
    print(f"databases MiB {sizes} (Temporal {per_case:.1f} KiB per case)")
    tally = await lost.tally(stack, service.buyer_id, opened.values())
    result.save(
        open=opening.figures("POST /cases"),
        approve=approving.figures("approve"),
        resolved_read_back=resolved,
        rss_mib={"before": rss_before, "after": rss_after},
        database_mib=sizes,
        nothing_lost=tally.figures(),
    )
    return tally


async def _approve(service: Service, case_id: str) -> None:
    case = await service.act(case_id, {"action": "approve"})
    if case["status"] != "resolved":
        raise RuntimeError(f"approved case {case_id} is {case['status']}")


async def _count(service: Service, params: dict[str, str]) -> int:
    total, page = 0, await service.list_cases(params)
    while True:
        total += len(page["items"])
        if not page.get("next_cursor"):
            return total
        page = await service.list_cases({**params, "cursor": page["next_cursor"]})


async def main(args: argparse.Namespace) -> int:
    result = ResultFile("cases-vs-engine" if args.vs_engine else "cases", vars(args))
    print(machine_line(result.data["machine"]))
    print(f"cases={args.cases} concurrency={args.concurrency} (dev server + worker + API on this machine)")
    measure: Callable[[Stack, argparse.Namespace, ResultFile], Any] = vs_engine if args.vs_engine else scenario
    async with running_stack(
        args,
        {"AFTERSALES_T_MERCHANT": "24h"},
        connections=args.concurrency,
        bare_worker=args.vs_engine,
    ) as stack:
        tally: lost.Tally = await measure(stack, args, result)
    status = lost.report(tally, result)
    if args.vs_engine:
        ratio = result.data["ratio"]
        print(f"open rate vs engine: {ratio:.2f}" if ratio is not None else "open rate vs engine: n/a")
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--vs-engine", action="store_true", help="the opening against bare workflows (see above)")
    add_stack_arguments(parser)
    sys.exit(asyncio.run(main(parser.parse_args())))
