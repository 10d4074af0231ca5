"""`somnia sweep` and `somnia restore`: run `python -m somnia_forgetting sweep|restore` as a child process
(the CLI never imports a service); a sweep's JSON-lines progress becomes a bar, then a summary table."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from somnia_cli.child import JsonLinesChild


def forgetting_command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "somnia_forgetting", *args]


def run_forgetting(
    args: Sequence[str], env: dict[str, str], console: Console, log_path: str
) -> tuple[int, list[dict[str, Any]]]:
    """Run the child; draw `progress` events; return its exit code and every other event it printed."""
    events: list[dict[str, Any]] = []
    with (
        open(log_path, "a") as log,
        Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        bars: dict[str, Any] = {}
        child = JsonLinesChild(forgetting_command(args), env, log)
        for event in child.events():
            if event.get("event") == "progress":
                ns = event["namespace"]
                if ns not in bars:
                    bars[ns] = progress.add_task(f"archive faded sessions of {ns}", total=event["total"] or 1)
                progress.update(bars[ns], completed=event["done"], total=event["total"] or 1)
            else:
                events.append(event)
        returncode = child.wait()
    return returncode, events


def sweep_table(event: dict[str, Any]) -> Table:
    table = Table(title=f"swept {event['namespace']}")
    table.add_column("what")
    table.add_column("memories", justify="right")
    for label, key in (
        ("hot before", "hot_before"),
        ("faded (below the strength threshold)", "faded"),
        ("over the hot budget", "over_budget"),
        ("archived", "archived"),
        ("session digests written", "digests"),
        ("hot after", "hot_after"),
    ):
        table.add_row(label, str(event.get(key, 0)))
    return table
