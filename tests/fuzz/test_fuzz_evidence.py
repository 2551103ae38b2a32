"""FUZZ-04 in the suite: a short, bounded atheris run of `tests.fuzz.fuzz_evidence` from a small seed corpus.

A longer run is the same module with more runs: `python -m tests.fuzz.fuzz_evidence -atheris_runs=200000`.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNS = 2000
SEEDS = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
    "pdf": b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    "json": '{"聊天记录": ["商家: 已发货", "买家: 没收到"]}'.encode(),
    "html": b"<html><script>alert(1)</script></html>",
    "name": "../../etc/passwd\u202egpj.exe\x00".encode(),
}

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("AFTERSALES_TEST_DATABASE_URL")),
    reason="touches no database: run once, in the SQLite run",
)


def test_a_bounded_fuzz_run_of_names_forms_sniffing_and_storage_breaks_no_property(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in SEEDS.items():
        (corpus / name).write_bytes(data)
    argv = [sys.executable, "-m", "tests.fuzz.fuzz_evidence", f"-atheris_runs={RUNS}", "-seed=20261130"]
    argv += [f"-artifact_prefix={tmp_path}/", str(corpus)]
    ran = subprocess.run(argv, cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120)

    assert ran.returncode == 0, ran.stderr[-4000:]
    assert f"Done {RUNS} " in ran.stderr, ran.stderr[-2000:]
    assert not list(tmp_path.glob("crash-*"))
