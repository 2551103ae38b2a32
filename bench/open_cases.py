"""Many open cases: `python -m bench.open_cases [--cases 1000] [--then 100000] [--every 10000]`.

Opens cases through `POST /cases` (each on its own order, posted, shipped and delivered first) until `--cases`
wait on the merchant, then on to `--then` if given, printing a progress line every `--progress` cases and, every
`--every`, a checkpoint: the worker's, the API's and the dev server's RSS (from /proc), the Temporal and service
database sizes, and the history bytes per case (the histories of `--sample` cases fetched through the SDK). Each
checkpoint is written to the run's JSON as it is taken, so a long run (100 000 cases: an hour or more) leaves its
figures even if stopped. At the end: whether the worker's RSS stayed flat (± 10 %) from `--cases` to `--then`.
"""

import argparse
import asyncio
import random
import sys
import time
from typing import Any

from bench import load, lost
from bench.common import ResultFile, Stack, add_stack_arguments, machine_line, running_stack
from bench.service import Service, open_jobs, seed
from settings import Settings

FLAT = 0.10


def cache_line(settings: dict[str, str]) -> str:
    """What bounds the worker's sticky cache, as far as the service's settings say."""
    knobs = {name: field for name, field in Settings.model_fields.items() if "cache" in name}
    if not knobs:
        return "worker sticky cache: worker.py passes no max_cached_workflows: the SDK's default, 1000 workflows"
    names = {f"AFTERSALES_{name.upper()}": field.default for name, field in knobs.items()}
    return f"worker sticky cache: { ({name: settings.get(name, default) for name, default in names.items()}) }"


async def history_bytes(stack: Stack, case_ids: list[str], sample: int) -> dict[str, Any]:
    """The size of the histories of `sample` cases picked at random, as the SDK fetches them."""
    sizes = []
    for case_id in random.sample(case_ids, min(sample, len(case_ids))):
        history = await stack.temporal.get_workflow_handle(f"case-{case_id}").fetch_history()
        sizes.append(sum(event.ByteSize() for event in history.events))
    return {"sampled": len(sizes), "mean": round(sum(sizes) / len(sizes)) if sizes else 0, "max": max(sizes, default=0)}


async def checkpoint(stack: Stack, opened: dict[str, str], began: float, sample: int) -> dict[str, Any]:
    rss, sizes = stack.rss(), await stack.database_sizes()
    history = await history_bytes(stack, list(opened.values()), sample)
    print(
        f"checkpoint {len(opened):>7} cases: RSS MiB worker {rss.get('worker')} api {rss.get('api')} "
        f"temporal {rss.get('temporal')}; Temporal db {sizes['temporal_db_mib']} MiB, service db "
        f"{sizes['service_db_mib']} MiB; history {history['mean']} B per case (max {history['max']}, "
        f"{history['sampled']} sampled)",
        flush=True,
    )
    elapsed = round(time.monotonic() - began)
    return {"cases": len(opened), "elapsed_s": elapsed, "rss_mib": rss, **sizes, "history_bytes_per_case": history}


async def measure(stack: Stack, args: argparse.Namespace, result: ResultFile) -> lost.Tally:
    service, opened, points = Service(stack.http), dict[str, str](), list[dict[str, Any]]()
    total, began, opening = args.then or args.cases, time.monotonic(), load.Run()
    marks = sorted({*range(args.every, total + 1, args.every), args.cases, total})
    while len(opened) < total:
        chunk = min(args.progress, total - len(opened), next(m for m in marks if m > len(opened)) - len(opened))
        order_ids = await seed(service, chunk, args.concurrency, show=False)
        batch = await load.run(open_jobs(service, order_ids, opened), args.concurrency)
        opening.merge(batch)
        elapsed = time.monotonic() - began
        print(
            f"opened {len(opened):>7}/{total} in {elapsed / 60:5.1f} min; this batch {batch.line('POST /cases', 0)}",
            flush=True,
        )
        if len(opened) in marks or batch.errors:
            points.append(await checkpoint(stack, opened, began, args.sample))
            result.save(checkpoints=points, open=opening.figures("POST /cases"))
        if batch.errors and not args.keep_going:
            print(f"stopping: {batch.errors} openings failed: {batch.figures('POST /cases')['error_samples']}")
            break
    flat = flatness(points, args.cases)
    tally = await lost.tally(stack, service.buyer_id, opened.values())
    result.save(checkpoints=points, open=opening.figures("POST /cases"), worker_rss=flat, nothing_lost=tally.figures())
    return tally


def flatness(points: list[dict[str, Any]], at: int) -> dict[str, Any]:
    """The worker's RSS from the checkpoint at `at` cases (else the first) to the last one."""
    start = next((p for p in points if p["cases"] == at and p is not points[-1]), points[0])
    end = points[-1]
    before, after = start["rss_mib"]["worker"], end["rss_mib"]["worker"]
    growth = (after - before) / before if before else float("nan")
    flat = abs(growth) <= FLAT
    print(
        f"worker RSS {start['cases']} → {end['cases']} cases: {before} → {after} MiB ({growth:+.1%}): "
        f"{'flat' if flat else 'NOT flat'} (target ± {FLAT:.0%} from 10 000 to 100 000 cases)"
    )
    return {"from_cases": start["cases"], "to_cases": end["cases"], "from_mib": before, "to_mib": after, "flat": flat}


async def main(args: argparse.Namespace) -> int:
    settings = {"AFTERSALES_T_MERCHANT": "7d", **dict(s.split("=", 1) for s in args.setting)}
    result = ResultFile("open_cases", {**vars(args), "settings": settings})
    print(machine_line(result.data["machine"]))
    print(f"cases={args.cases} then={args.then} every={args.every} concurrency={args.concurrency} settings={settings}")
    print(cache_line(settings))
    async with running_stack(args, settings, connections=args.concurrency) as stack:
        tally = await measure(stack, args, result)
    return lost.report(tally, result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000, help="the first mark (the flatness is measured from it)")
    parser.add_argument("--then", type=int, default=None, help="go on to this many cases")
    parser.add_argument("--every", type=int, default=250, help="a checkpoint every this many cases")
    parser.add_argument("--progress", type=int, default=250, help="a progress line every this many cases")
    parser.add_argument("--sample", type=int, default=20, help="histories fetched at each checkpoint")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--setting", action="append", default=[], help="AFTERSALES_…=value for the service")
    parser.add_argument("--keep-going", action="store_true", help="go on after failed openings")
    add_stack_arguments(parser)
    sys.exit(asyncio.run(main(parser.parse_args())))
