"""Every LoCoMo run of `make bench-quality`, kept: one line per run in results/quality_history.jsonl
(when, the revision and whether the tree had changes, recall by category for Somnia and the baselines),
and a plot of recall by category over the runs (results/quality_history.png, in docs/benchmarks.md).

    uv run python benchmarks/quality_history.py   # redraw the plot from the history file
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
HISTORY = RESULTS / "quality_history.jsonl"
PLOT = RESULTS / "quality_history.png"
REPO = Path(__file__).resolve().parents[1]
KEPT = ("frac@10", "all@10", "all@1")
# Plotted per category; the table and file hold the baselines too.
CATEGORIES = ("single-hop", "multi-hop", "temporal", "open-domain", "adversarial", "all but adversarial")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def record(results: dict[str, Any], systems: tuple[str, ...]) -> None:
    """Append one run (the systems named, every category, the kept metrics) and redraw the plot."""
    entry = {
        "when": results.get("when") or datetime.now(UTC).isoformat(),
        "revision": _git("rev-parse", "--short", "HEAD") or "unknown",
        "changed": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "systems": {
            name: {
                category: {metric: round(row[metric], 4) for metric in KEPT if metric in row}
                for category, row in results["systems"][name].items()
            }
            for name in systems
            if name in results["systems"]
        },
    }
    RESULTS.mkdir(exist_ok=True)
    with HISTORY.open("a") as out:
        out.write(json.dumps(entry) + "\n")
    plot()


def plot(system: str = "somnia (Recall API)") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [json.loads(line) for line in HISTORY.read_text().splitlines() if line.strip()]
    runs = [r for r in runs if system in r["systems"]]
    if not runs:
        return
    labels = [f"{r['revision']}{'+' if r['changed'] else ''}\n{r['when'][:10]}" for r in runs]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    for ax, metric, title in (
        (axes[0], "frac@10", "evidence recall@10 (fractional)"),
        (axes[1], "all@1", "recall@1 (the first item holds the evidence)"),
    ):
        for category in CATEGORIES:
            values = [r["systems"][system].get(category, {}).get(metric) for r in runs]
            style = "k-o" if category == "all but adversarial" else "-o"
            ax.plot(range(len(runs)), values, style, label=category, linewidth=2.5 if style == "k-o" else 1.2)
        bm25 = [r["systems"].get("bm25 only", {}).get("all but adversarial", {}).get(metric) for r in runs]
        ax.plot(range(len(runs)), bm25, "k:", label="BM25 alone (all but adversarial)")
        ax.set_title(title)
        ax.set_xticks(range(len(runs)))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle(f"LoCoMo dev: {system}, run by run (revision, + = uncommitted changes)")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    plot()
    print(f"plot: {PLOT}")
