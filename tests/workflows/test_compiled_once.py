"""A workflow's own module, imported afresh for every run, is compiled once per process and per version of it."""

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from workflows.compiled_once import compile_once

NAME = "compiled_once_demo_flow"


@pytest.fixture
def demo_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    source = tmp_path / f"{NAME}.py"
    source.write_text("def answer() -> int:\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as under PYTHONDONTWRITEBYTECODE: no .pyc to read
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # the finder leaves with the test
    compile_once([NAME])
    yield source
    sys.modules.pop(NAME, None)


def fresh_import() -> ModuleType:
    sys.modules.pop(NAME, None)
    return importlib.import_module(NAME)


def test_each_import_is_a_module_of_its_own_running_the_same_compiled_code(demo_module: Path) -> None:
    first, second = fresh_import(), fresh_import()
    assert first is not second
    assert first.answer.__code__ is second.answer.__code__


def test_an_edited_source_is_compiled_anew(demo_module: Path) -> None:
    first = fresh_import()
    demo_module.write_text("def answer() -> int:\n    return 2\n")
    importlib.invalidate_caches()
    second = fresh_import()
    assert (first.answer(), second.answer()) == (1, 2)
