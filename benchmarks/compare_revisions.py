"""Quality before and after a change, from one command: the LoCoMo recall and changing-facts benchmarks
run on a base revision (checked out into a temporary git worktree with its own locked environment) and on
this working tree, one after the other, and their headline figures side by side.

A refactoring must leave these figures as they were; a change to ranking shows what it moved. Writes
benchmarks/results/compare_revisions.json. Usage:
    uv run python benchmarks/compare_revisions.py [--base REV] [--data ../shared/bench/locomo/locomo_dev.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BENCHES = ("locomo_bench.py", "changing_facts_bench.py")
CATEGORIES = ("single-hop", "multi-hop", "temporal", "open-domain", "adversarial")


def uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    cache = Path(os.environ.get("SOMNIA_CACHE", Path.home() / ".cache" / "somnia"))
    for candidate in sorted(cache.glob("uv-*/bin/uv")):
        return str(candidate)
    sys.exit("uv not found: run `make setup` first")


def run_benches(tree: Path, data: Path, console: Console) -> dict[str, Any]:
    """Both benchmarks in `tree` with its own environment; returns their results files and wall times."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    env["HF_HUB_OFFLINE"] = "1"
    subprocess.run([uv(), "sync", "--all-packages", "--locked", "--quiet"], cwd=tree, env=env, check=True)
    out: dict[str, Any] = {"seconds": {}}
    for bench in BENCHES:
        console.print(f"[bold]{tree.name}[/]: {bench}")
        args = [str(tree / ".venv" / "bin" / "python"), f"benchmarks/{bench}"]
        if bench == "locomo_bench.py":
            args += ["--data", str(data)]
        started = time.perf_counter()
        subprocess.run(args, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
        out["seconds"][bench] = round(time.perf_counter() - started, 1)
    out["locomo"] = json.loads((tree / "benchmarks" / "results" / "locomo.json").read_text())
    out["changing_facts"] = json.loads((tree / "benchmarks" / "results" / "changing_facts.json").read_text())
    return out


def headline(results: dict[str, Any]) -> dict[str, float]:
    """recall@10 (all evidence) per category for Somnia through the Recall API, and changing facts."""
    somnia = results["locomo"]["systems"]["somnia (Recall API)"]
    figures = {f"LoCoMo all@10 {c}": somnia[c]["all@10"] for c in CATEGORIES if c in somnia}
    figures |= {f"LoCoMo all@1 {c}": somnia[c]["all@1"] for c in CATEGORIES if c in somnia}
    facts = results["changing_facts"]["with_detection"]
    figures["changing facts: current value first"] = facts["current_value_first"]
    figures["changing facts: old values flagged"] = facts["old_values_flagged"]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD", help="the revision to compare against (default HEAD)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "bench" / "locomo" / "locomo_dev.json")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found: pass --data with the LoCoMo development conversations")
    console = Console()
    base_rev = subprocess.run(
        ["git", "rev-parse", "--short", args.base], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="somnia-base-") as tmp:
        base_tree = Path(tmp) / f"base-{base_rev}"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(base_tree), base_rev], cwd=ROOT, check=True
        )
        try:
            before = run_benches(base_tree, args.data.resolve(), console)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
    after = run_benches(ROOT, args.data.resolve(), console)
    table = Table(title=f"Quality before ({base_rev}) and after (working tree)")
    for column in ("figure", "before", "after", "change"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    rows = []
    b, a = headline(before), headline(after)
    for name in b:
        rows.append({"figure": name, "before": b[name], "after": a.get(name)})
        delta = (a[name] - b[name]) if name in a else float("nan")
        table.add_row(name, f"{b[name]:.3f}", f"{a.get(name, float('nan')):.3f}", f"{delta:+.3f}")
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "when": datetime.now(UTC).isoformat(),
        "base": base_rev,
        "figures": rows,
        "seconds": {"before": before["seconds"], "after": after["seconds"]},
    }
    (RESULTS / "compare_revisions.json").write_text(json.dumps(record, indent=2) + "\n")
    console.print(f"results: {RESULTS / 'compare_revisions.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
