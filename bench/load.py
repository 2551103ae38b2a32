"""Jobs run by a fixed number of clients, each job timed and counted under its label (an endpoint, a phase)."""

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.common import percentiles

Job = Callable[[], Awaitable[object]]  # raises on failure
ERROR_SAMPLES = 5


@dataclass
class Label:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


@dataclass
class Run:
    labels: dict[str, Label] = field(default_factory=lambda: defaultdict(Label))
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(label.errors for label in self.labels.values())

    def figures(self, name: str) -> dict[str, Any]:
        """Percentiles (ms), the rate of successes over the whole run and the errors of one label."""
        label = self.labels[name]
        rate = len(label.latencies) / self.seconds if self.seconds else 0.0
        return {
            **percentiles(label.latencies),
            "per_second": round(rate, 1),
            "errors": label.errors,
            "error_samples": label.error_samples,
        }

    def line(self, name: str, width: int = 16) -> str:
        return figures_line(name, self.figures(name), width)

    def merge(self, other: "Run") -> None:
        for name, label in other.labels.items():
            mine = self.labels[name]
            mine.latencies += label.latencies
            mine.errors += label.errors
            mine.error_samples = (mine.error_samples + label.error_samples)[:ERROR_SAMPLES]
        self.seconds += other.seconds


def figures_line(name: str, figures: dict[str, Any], width: int = 16) -> str:
    if not figures.get("count"):
        return f"{name:<{width}} no success, {figures.get('errors', 0)} errors {figures.get('error_samples', [])}"
    first_error = f" (first error: {figures['error_samples'][0]})" if figures.get("error_samples") else ""
    return (
        f"{name:<{width}} {figures['count']:>6} ok {figures.get('errors', 0):>4} errors "
        f"{figures.get('per_second', 0):>7.1f} /s   p50 {figures['p50_ms']:7.1f}  p95 {figures['p95_ms']:7.1f}  "
        f"p99 {figures['p99_ms']:7.1f}  max {figures['max_ms']:7.1f} ms{first_error}"
    )


async def run(jobs: Iterable[tuple[str, Job]], concurrency: int) -> Run:
    """Runs `jobs` in order with `concurrency` clients; each client takes the next job when it is done with one."""
    result, pending = Run(), iter(jobs)

    async def client() -> None:
        for name, job in pending:
            began = time.perf_counter()
            try:
                await job()
            except Exception as error:
                label = result.labels[name]
                label.errors += 1
                if len(label.error_samples) < ERROR_SAMPLES:
                    label.error_samples.append(f"{type(error).__name__}: {error}"[:300])
            else:
                result.labels[name].latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - began
    return result
