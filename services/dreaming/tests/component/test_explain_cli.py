"""`python -m somnia_dreaming explain` (what `somnia dream --explain` draws) on the embedded stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def explain(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOMNIA_STORE_DATA_DIR": str(tmp_path), "SOMNIA_GRAPH_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "somnia_dreaming", "explain", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_an_empty_namespace_has_no_candidates_and_says_why(tmp_path: Path) -> None:
    done = explain(tmp_path, "--namespace", "acme/support/u1", "--days", "30")
    assert done.returncode == 0, done.stderr
    (batch,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert batch["event"] == "batch" and batch["candidates"] == 0 and batch["train"] is False
    assert "an adapter needs 3" in batch["reason"]


def test_bad_input_is_refused(tmp_path: Path) -> None:
    assert "name a namespace" in explain(tmp_path).stderr
    bad = explain(tmp_path, "--namespace", "Not A Namespace")
    assert bad.returncode == 2 and "bad input" in bad.stderr
