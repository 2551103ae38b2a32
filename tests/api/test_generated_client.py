"""A client generated from the OpenAPI document with `openapi-python-client` (as an integrator would) comes out
whole: one name per schema, no warning, every order and case operation typed."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from httpx import AsyncClient

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


async def test_every_schema_has_one_name(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    names = list(document["components"]["schemas"])
    assert not [name for name in names if name.startswith("api__")], "two models share a name: FastAPI qualified them"
    assert not [name for name, n in Counter(n.lower() for n in names).items() if n > 1]


@pytest.mark.skipif(shutil.which(str(GENERATOR)) is None, reason="openapi-python-client is a dev dependency")
async def test_a_generated_client_has_no_warning_and_types_the_orders(client: AsyncClient, tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps((await client.get("/openapi.json")).json()))
    run = await asyncio.to_thread(
        subprocess.run,
        [str(GENERATOR), "generate", "--path", str(spec), "--meta", "none", "--output-path", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"},  # its ruff hooks
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert [line for line in said.splitlines() if line.strip()] == [f"Generating {tmp_path / 'out'}"], said
    models = {path.stem for path in (tmp_path / "out" / "models").glob("*.py")}
    assert {"order_public", "shipment_public", "shipment_facts"} <= models
