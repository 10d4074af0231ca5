"""`python -m somnia_dreaming run`: one dream run, for the chart's CronJob and for `somnia dream`, which
reads its progress as JSON lines (`--progress jsonl`) and draws the bars."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from pydantic import ValidationError
from somnia_contracts import DreamJob, IdentifierError, validate_namespace, validate_run_id

from somnia_dreaming.main import run_once
from somnia_dreaming.models import DreamWindow, JobResult
from somnia_dreaming.runner import DreamJobFailed, SilentProgress
from somnia_dreaming.settings import DreamingSettings


class JsonLinesProgress:
    """One JSON object per line on stdout; `advanced` at most every 0.2 s per job."""

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}
        self._last: dict[str, float] = {}

    @staticmethod
    def emit(**fields: Any) -> None:
        print(json.dumps(fields, default=str), flush=True)

    def started(self, job: str, total: int | None) -> None:
        self.emit(event="started", job=job, total=total)

    def advanced(self, job: str, n: int = 1) -> None:
        self._pending[job] = self._pending.get(job, 0) + n
        now = time.monotonic()
        if now - self._last.get(job, 0.0) >= 0.2:
            self.emit(event="advanced", job=job, n=self._pending.pop(job))
            self._last[job] = now

    def finished(self, job: str, result: JobResult) -> None:
        if self._pending.get(job):
            self.emit(event="advanced", job=job, n=self._pending.pop(job))
        self.emit(event="finished", job=job, note=result.note, seconds=result.seconds, read=result.read)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m somnia_dreaming", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="consume dream.requested (the default)")
    run = sub.add_parser("run", help="one dream run over a namespace's recent sessions")
    run.add_argument("--namespace", action="append", default=[], help="tenant/agent/user (repeat for several)")
    run.add_argument("--days", type=float, default=None, help="the window: this many days back from now")
    run.add_argument("--since", default=None, help="the window's start (ISO 8601); overrides --days")
    run.add_argument("--until", default=None, help="the window's end (ISO 8601); default now")
    run.add_argument("--run-id", default="", help="resume this run, or name a new one (default: a fresh id)")
    run.add_argument("--job", action="append", default=[], choices=get_args(DreamJob), help="only these jobs")
    run.add_argument("--progress", choices=("log", "jsonl"), default="log")
    run.add_argument("--no-bus", action="store_true", help="no NATS: checkpoints in process, no events")
    explain = sub.add_parser("explain", help="the promotion rule's decision on every candidate, with its numbers")
    explain.add_argument("--namespace", action="append", default=[], help="tenant/agent/user")
    explain.add_argument("--days", type=float, default=None, help="the window sessions are counted over")
    explain.add_argument("--since", default=None)
    explain.add_argument("--until", default=None)
    adapters = sub.add_parser("adapters", help="a namespace's adapters in the registry (needs NATS)")
    adapters.add_argument("--namespace", action="append", default=[], help="tenant/agent/user")
    adapters.add_argument("--serving", action="store_true", help="print what a LoRA-serving engine loads")
    return parser.parse_args(argv)


def window_of(args: argparse.Namespace, namespace: str, settings: DreamingSettings) -> DreamWindow:
    until = datetime.fromisoformat(args.until) if args.until else datetime.now(UTC)
    if args.since:
        since = datetime.fromisoformat(args.since)
    else:
        since = until - timedelta(days=args.days if args.days is not None else settings.window_days)
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("--since and --until need a time zone, e.g. 2026-11-01T00:00:00+00:00")
    return DreamWindow(namespace=namespace, since=since, until=until)


def requested_namespaces(args: argparse.Namespace, settings: DreamingSettings) -> list[str]:
    """--namespace (repeated), else SOMNIA_DREAMING_NAMESPACES; empty after saying what to pass."""
    namespaces: list[str] = args.namespace or settings.namespace_list
    if not namespaces:
        print("name a namespace: --namespace tenant/agent/user (or set SOMNIA_DREAMING_NAMESPACES)", file=sys.stderr)
    return namespaces


def run_command(args: argparse.Namespace) -> int:
    settings = DreamingSettings()
    progress = JsonLinesProgress() if args.progress == "jsonl" else SilentProgress()
    namespaces = requested_namespaces(args, settings)
    if not namespaces:
        return 2
    failed = 0
    for namespace in namespaces:
        try:
            validate_namespace(namespace)
            run_id = validate_run_id(args.run_id or f"dream-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}")
            window = window_of(args, namespace, settings)
        except (IdentifierError, ValidationError, ValueError) as exc:
            print(f"bad input: {exc}", file=sys.stderr)
            return 2
        if args.progress == "jsonl":
            JsonLinesProgress.emit(
                event="run", namespace=namespace, run_id=run_id, since=window.since, until=window.until
            )
        try:
            state = asyncio.run(
                run_once(window, run_id, tuple(args.job), progress, settings=settings, bus=not args.no_bus)
            )
        except DreamJobFailed as exc:
            failed += 1
            if args.progress == "jsonl":
                JsonLinesProgress.emit(event="failed", job=exc.job, error=str(exc))
            logging.getLogger("somnia.dreaming").error("%s", exc)
            continue
        if args.progress == "jsonl":
            JsonLinesProgress.emit(event="done", run_id=state.run_id, status=state.status)
    return 1 if failed else 0


def explain_command(args: argparse.Namespace) -> int:
    """One JSON line per candidate (its checks and numbers), then one for the batch."""
    from somnia_dreaming.parametric.report import explain_lines

    settings = DreamingSettings()
    namespaces = requested_namespaces(args, settings)
    if not namespaces:
        return 2
    for namespace in namespaces:
        try:
            validate_namespace(namespace)
            window = window_of(args, namespace, settings)
        except (IdentifierError, ValidationError, ValueError) as exc:
            print(f"bad input: {exc}", file=sys.stderr)
            return 2
        for line in asyncio.run(explain_lines(window)):
            JsonLinesProgress.emit(**line)
    return 0


def adapters_command(args: argparse.Namespace) -> int:
    from somnia_dreaming.parametric.report import adapter_lines

    settings = DreamingSettings()
    namespaces = requested_namespaces(args, settings)
    if not namespaces:
        return 2
    for namespace in namespaces:
        try:
            validate_namespace(namespace)
        except IdentifierError as exc:
            print(f"bad input: {exc}", file=sys.stderr)
            return 2
        for line in asyncio.run(adapter_lines(namespace, settings.nats_url, serving=args.serving)):
            JsonLinesProgress.emit(**line)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        return run_command(args)
    if args.command == "explain":
        return explain_command(args)
    if args.command == "adapters":
        return adapters_command(args)
    from somnia_dreaming.main import run

    run()
    return 0
