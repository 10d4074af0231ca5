"""The recall quality gate (benchmarks/quality_gate.py) as part of `make test`: one LoCoMo development
conversation through `somnia up`; recall@10 may not fall more than a point below the committed
baseline (benchmarks/quality_baseline.json)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "bench" / "locomo" / "locomo_dev.json"


def test_recall_at_10_holds_against_the_committed_baseline() -> None:
    if not DATA.is_file():
        pytest.skip(f"the quality gate reads the LoCoMo development set from {DATA}, which this checkout lacks")
    gate = subprocess.run(
        [sys.executable, "benchmarks/quality_gate.py"], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert gate.returncode == 0, f"quality gate failed:\n{gate.stdout[-6000:]}\n{gate.stderr[-3000:]}"
    assert "gate holds" in gate.stdout
