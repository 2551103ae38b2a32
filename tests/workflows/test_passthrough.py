"""The modules the worker passes through the workflow sandbox (loaded once, shared by every run) are deterministic.

Inside a passed-through module the sandbox no longer stands between the code and the clock, randomness or the
operating system, so this check does: no such import, no `.now()` but `workflow.now()`, no module state.
"""

import ast
import importlib.util
from pathlib import Path

import pytest

from worker import RESTRICTIONS, WORKFLOWS

NONDETERMINISTIC = {"os", "random", "secrets", "socket", "subprocess", "threading", "time", "uuid"}
CLOCK = {"now", "today", "utcnow"}


def nondeterminism(source: str) -> list[str]:
    """What in `source` the sandbox would have refused or isolated."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] in NONDETERMINISTIC]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in NONDETERMINISTIC:
            found.append(node.module or "")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK:
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "workflow"):
                found.append(f"{ast.unparse(node.func)}()")
        elif isinstance(node, ast.Global):
            found.append(f"global {', '.join(node.names)}")
    return found


def passed_through() -> list[Path]:
    """The service's own modules passed through: the rule book and the workflows' helpers."""
    paths: list[Path] = []
    for name in sorted(n for n in RESTRICTIONS.passthrough_modules if n.split(".")[0] in ("rulebook", "workflows")):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        paths += sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
    return paths


def test_the_workflows_own_modules_stay_sandboxed() -> None:
    helpers = {n for n in RESTRICTIONS.passthrough_modules if n.startswith("workflows")}
    assert {"workflows.returns", "workflows.story", "workflows.messages"} <= helpers
    assert not {workflow.__module__ for workflow in WORKFLOWS} & helpers
    assert "workflows" not in helpers


@pytest.mark.parametrize("path", passed_through(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_passed_through_module_is_deterministic(path: Path) -> None:
    assert nondeterminism(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import uuid", ["uuid"]),
        ("from time import monotonic", ["time"]),
        ("import os.path", ["os.path"]),
        ("from datetime import datetime\nx = datetime.now()", ["datetime.now()"]),
        ("import datetime\nx = datetime.date.today()", ["datetime.date.today()"]),
        ("def f():\n    global seen", ["global seen"]),
        ("from temporalio import workflow\nx = workflow.now()", []),
    ],
)
def test_the_check_catches_what_the_sandbox_would(source: str, found: list[str]) -> None:
    assert nondeterminism(source) == found
