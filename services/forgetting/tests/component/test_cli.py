"""`python -m somnia_forgetting` as an operator runs it: clear errors, JSON lines, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "SOMNIA_STORE_DATA_DIR": str(tmp_path),
        "SOMNIA_GRAPH_DATA_DIR": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "somnia_forgetting", *args], capture_output=True, text=True, env=environment, timeout=120
    )


def test_bad_input_says_what_to_fix(tmp_path: Path) -> None:
    bad = run(tmp_path, "restore", "--namespace", "not-a-namespace", "--all")
    assert bad.returncode == 2 and "tenant/agent/user" in bad.stderr
    session = run(tmp_path, "restore", "--namespace", "a/b/c", "--session", "has spaces")
    assert session.returncode == 2 and "session_id" in session.stderr
    budgets = run(tmp_path, "status", "--namespace", "a/b/c", SOMNIA_FORGETTING_HOT_BUDGETS="acme/*=ten")
    assert budgets.returncode == 2 and "namespace-or-pattern=budget" in budgets.stderr


def test_an_offline_sweep_and_restore_of_an_empty_namespace(tmp_path: Path) -> None:
    swept = run(tmp_path, "sweep", "--namespace", "a/b/c", "--offline", "--now", "2026-11-20T00:00:00+00:00")
    assert swept.returncode == 0, swept.stderr
    (report,) = [json.loads(line) for line in swept.stdout.splitlines() if line.startswith("{")]
    assert report["event"] == "swept" and report["hot_before"] == 0 and report["archived"] == 0
    naive = run(tmp_path, "sweep", "--namespace", "a/b/c", "--offline", "--now", "2026-11-20T00:00:00")
    assert naive.returncode == 2 and "no time zone" in naive.stderr
    nothing = run(tmp_path, "restore", "--namespace", "a/b/c", "--all", "--offline")
    assert nothing.returncode == 3 and "nothing archived matched" in nothing.stderr
    status = run(tmp_path, "status", "--namespace", "a/b/c")
    assert json.loads(status.stdout.splitlines()[-1]) == {
        "event": "status",
        "namespace": "a/b/c",
        "hot": 0,
        "archived": 0,
    }
