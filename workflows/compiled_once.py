"""The workflows' own modules compiled once per process, though the sandbox imports them afresh for every run.

The sandbox re-imports a workflow's module for each run it starts, so that runs share no module state. Without
bytecode on disk (PYTHONDONTWRITEBYTECODE, or a source tree nobody compiled) each import also compiled the
source: ~5 ms of CPU for `workflows/case.py`, a quarter of what the worker spent opening a case. Here the code
object is kept (keyed by the source, so an edited file compiles anew) and each run still executes it into a
module of its own.
"""

import functools
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import CodeType, ModuleType
from typing import Any


def compile_once(modules: Sequence[str]) -> None:
    """From now on these modules are found with the loader below (idempotent)."""
    if not any(isinstance(finder, _Finder) and finder.names >= set(modules) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder(frozenset(modules)))


@functools.lru_cache(maxsize=32)
def _compiled(source: bytes, path: str) -> CodeType:
    return compile(source, path, "exec", dont_inherit=True)


class _Loader(SourceFileLoader):
    # SourceLoader's signature; typeshed also sees InspectLoader's static one, which no import calls here.
    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> CodeType:  # type: ignore[override]
        return _compiled(data.encode() if isinstance(data, str) else bytes(data), str(path))


class _Finder(MetaPathFinder):
    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, SourceFileLoader) and spec.origin:
            spec.loader = _Loader(fullname, spec.origin)
        return spec
