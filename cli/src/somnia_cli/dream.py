"""`somnia dream`: runs `python -m somnia_dreaming run` as a child process (the CLI never imports a
service) and draws its JSON-lines progress as one bar per job, then a summary table."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from somnia_cli.child import JsonLinesChild

JOB_TITLES = {
    "patterns": "mine session patterns",
    "success": "score pattern success",
    "communities": "detect communities",
    "clusters": "cluster contexts",
    "consolidate": "consolidate insights",
    "promote": "train an adapter",
}


@dataclass
class DreamOutcome:
    run_id: str = ""
    status: str = ""
    error: str = ""
    finished: list[tuple[str, str, float]] = field(default_factory=list)


def dream_command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "somnia_dreaming", "run", "--progress", "jsonl", *args]


def run_dream(args: Sequence[str], env: dict[str, str], console: Console, log_path: str) -> DreamOutcome:
    outcome = DreamOutcome()
    with (
        open(log_path, "a") as log,
        Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
        ) as progress,
    ):
        tasks: dict[str, TaskID] = {}
        child = JsonLinesChild(dream_command(args), env, log)
        for event in child.events():
            kind, job = event.get("event"), event.get("job", "")
            if kind == "run":
                outcome.run_id = event["run_id"]
                console.print(f"dream run [bold]{event['run_id']}[/] over {event['namespace']} from {event['since']}")
            elif kind == "started":
                tasks[job] = progress.add_task(JOB_TITLES.get(job, job), total=event.get("total"), note="")
            elif kind == "advanced" and job in tasks:
                progress.advance(tasks[job], event["n"])
            elif kind == "finished":
                if job not in tasks:  # done before a resume: no bar was started for it
                    tasks[job] = progress.add_task(JOB_TITLES.get(job, job), total=1, note="")
                total = progress.tasks[tasks[job]].completed or 1
                progress.update(tasks[job], total=total, completed=total, note=event["note"])
                outcome.finished.append((job, event["note"], float(event["seconds"])))
            elif kind == "failed":
                outcome.error = event["error"]
            elif kind == "done":
                outcome.status = event["status"]
        returncode = child.wait()
    if returncode and not outcome.error:
        outcome.error = f"the dream run exited with status {returncode}; see {log_path}"
    return outcome


def summary_table(outcome: DreamOutcome) -> Table:
    table = Table(title=f"dream run {outcome.run_id}: {outcome.status or 'failed'}")
    table.add_column("job")
    table.add_column("found")
    table.add_column("seconds", justify="right")
    for job, note, seconds in outcome.finished:
        table.add_row(JOB_TITLES.get(job, job), note, f"{seconds:.1f}")
    return table
