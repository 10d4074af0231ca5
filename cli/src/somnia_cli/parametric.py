"""`somnia dream --explain` and `somnia adapters`: run the dreaming service's `explain` and `adapters`
commands as child processes (the CLI never imports a service) and draw what they print as tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from somnia_cli.child import JsonLinesChild

STATUS_STYLES = {"live": "green", "training": "cyan", "stale": "yellow", "failed": "red", "retired": "dim"}


@dataclass
class ChildOutput:
    lines: list[dict[str, Any]] = field(default_factory=list)
    returncode: int = 0


def run_dreaming(command: str, args: Sequence[str], env: dict[str, str], log_path: str) -> ChildOutput:
    out = ChildOutput()
    with open(log_path, "a") as log:
        child = JsonLinesChild([sys.executable, "-m", "somnia_dreaming", command, *args], env, log)
        out.lines = list(child.events())
        out.returncode = child.wait()
    return out


def explain_table(lines: Sequence[dict[str, Any]], limit: int) -> Table:
    """One row per candidate: each check's value, marked when it fails, and the decision."""
    batch = next((line for line in lines if line.get("event") == "batch"), {})
    title = (
        f"promotion to weights: {batch.get('passing', 0)} of {batch.get('candidates', 0)} candidates pass; "
        f"{'train' if batch.get('train') else 'no training'} ({batch.get('reason', '')})"
    )
    table = Table(title=title, title_justify="left")
    for column in ("memory", "kind", "topic", "stable", "broad", "successful", "worth it", "decision"):
        table.add_column(column, overflow="fold")
    candidates = [line for line in lines if line.get("event") == "candidate"]
    for line in candidates[:limit]:
        checks = {c["name"]: c for c in line["checks"]}

        def cell(name: str, checks: dict[str, Any] = checks) -> str:
            check = checks.get(name)
            if check is None:
                return "[dim]n/a[/]"
            mark = "[green]ok[/]" if check["passed"] else f"[red]no[/] (needs {check['threshold']})"
            return f"{check['value']} {mark}"

        decision = "[bold green]promote[/]" if line["promoted"] else ("passes" if line["passes"] else "keep in context")
        table.add_row(
            line["memory_id"][:12],
            line["kind"],
            line["topic"][:40],
            *map(cell, ("stable", "broad", "successful", "worth it")),
            decision,
        )
    if len(candidates) > limit:
        table.caption = f"{len(candidates) - limit} more candidates; --limit shows more"
    if batch:
        table.caption = (table.caption or "") + (
            f"  sessions in window: {batch['sessions']} ({batch['sessions_per_day']}/day); "
            f"savings {batch['savings']:.4f} vs cost {batch['cost']:.4f}"
        )
    return table


def adapters_table(namespace: str, lines: Sequence[dict[str, Any]]) -> Table:
    table = Table(title=f"adapters of {namespace}", title_justify="left")
    for column in (
        "adapter",
        "version",
        "status",
        "memories",
        "base model",
        "probes before -> after",
        "updated",
        "why",
    ):
        table.add_column(column, overflow="fold")
    for line in lines:
        metrics = line.get("metrics", {})
        probes = (
            f"{metrics['probe_token_accuracy_before']:.2f} -> {metrics['probe_token_accuracy_after']:.2f}"
            if "probe_token_accuracy_after" in metrics
            else ""
        )
        status = line["status"]
        table.add_row(
            line["adapter_id"],
            str(line["version"]),
            f"[{STATUS_STYLES.get(status, 'white')}]{status}[/]",
            str(line["memories"]),
            line["base_model"],
            probes,
            str(line["updated_at"])[:19],
            line.get("stale_reason") or line.get("error") or "",
        )
    return table
