"""The rule book imports nothing but the standard library and itself (so the workflow sandbox can run it)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

RULEBOOK = Path(__file__).resolve().parents[2] / "rulebook"


def foreign_imports(source: str) -> list[str]:
    """Top-level module names imported by `source` that are neither the standard library nor `rulebook`."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.append("<relative import>")
            else:
                names.append(node.module or "")
    return [n for n in names if n.split(".")[0] not in sys.stdlib_module_names and n.split(".")[0] != "rulebook"]


def modules() -> list[Path]:
    return sorted(RULEBOOK.rglob("*.py"))


def test_the_package_has_its_modules() -> None:
    names = {p.relative_to(RULEBOOK).as_posix() for p in modules()}
    assert {"decide.py", "precedence.py", "ranking.py", "transitions.py", "timers.py", "rules/seven_day.py"} <= names
    assert {"business_calendar.py", "deadlines.py"} <= names


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(RULEBOOK).as_posix())
def test_every_module_imports_only_the_standard_library_and_rulebook(path: Path) -> None:
    assert foreign_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "foreign"),
    [
        ("import temporalio", ["temporalio"]),
        ("from pydantic import BaseModel", ["pydantic"]),
        ("from sqlmodel.main import SQLModel", ["sqlmodel.main"]),
        ("from . import enums", ["<relative import>"]),
        ("def f():\n    import settings", ["settings"]),
        ("import zoneinfo, dataclasses\nfrom rulebook.enums import Outcome", []),
    ],
)
def test_the_check_catches_foreign_imports(source: str, foreign: list[str]) -> None:
    assert foreign_imports(source) == foreign


def test_importing_the_rule_book_loads_no_third_party_package() -> None:
    """`_sysconfigdata_*` is the standard library's platform-specific build data, not in `stdlib_module_names`."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import rulebook.decide, rulebook.ranking, rulebook.transitions\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "stdlib = set(sys.stdlib_module_names) | {'rulebook'}\n"
        "print(sorted(m for m in new if m not in stdlib and not m.startswith('_sysconfigdata')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=RULEBOOK.parent)
    assert out.stdout.strip() == "[]"
