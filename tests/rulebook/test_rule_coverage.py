"""Every rule id of product.md §6 is covered by at least two tests of this folder."""

import ast
import re
from pathlib import Path

import pytest

from rulebook.precedence import RULE_IDS

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[2] / "shared" / "spec" / "product.md"
RULE_ID = re.compile(r"R-[A-Z0-9]+(?:-[A-Z0-9]+)*")
LISTING = 5  # a test naming this many rules lists them (the precedence order); it does not test each one


def naming_tests(rule: str) -> list[str]:
    """The test functions (decorators and body) of this folder whose source names `rule` exactly, listings aside."""
    names: list[str] = []
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                text = "\n".join(source.splitlines()[start - 1 : node.end_lineno])
                named = set(RULE_ID.findall(text))
                if rule in named and len(named) < LISTING:
                    names.append(f"{path.name}::{node.name}")
    return names


@pytest.mark.parametrize("rule", RULE_IDS)
def test_every_rule_has_at_least_two_tests(rule: str) -> None:
    assert len(naming_tests(rule)) >= 2, f"{rule} is covered by {naming_tests(rule)}"


def test_the_rule_ids_are_those_of_the_spec() -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not beside the project")
    section = SPEC.read_text(encoding="utf-8").split("## 6.")[1].split("## 7.")[0]
    table_ids = re.findall(r"^\| (R-[A-Z0-9-]+) \|", section, flags=re.MULTILINE)
    assert tuple(table_ids) == RULE_IDS


def test_the_count_can_fail() -> None:
    assert naming_tests("R-NOPE") == []
    assert naming_tests("R-NOT") == [], "a prefix of R-NOT-RECEIVED is not a mention of R-NOT"
