"""`python -m somnia_forgetting`: `serve` (the default: the service), `sweep` (decay, consolidate and
archive now, for the chart's CronJob and `somnia sweep`), `restore` (bring archived memories back:
`somnia restore`) and `status` (hot and archived counts). Progress is JSON lines with `--progress jsonl`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from somnia_bus import JetStreamPublisher, close_broker, create_broker, ensure_streams
from somnia_contracts import (
    MEMORY_STREAM,
    IdentifierError,
    MemoryRestored,
    validate_namespace,
    validate_session_id,
)
from somnia_memory_model import StrengthSettings
from somnia_stores import Stores

from somnia_forgetting.archive import ColdArchive
from somnia_forgetting.main import IDS_PER_EVENT, create_sweeper, run
from somnia_forgetting.settings import ForgettingSettings


def emit(**fields: Any) -> None:
    print(json.dumps(fields, default=str), flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m somnia_forgetting", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="consume feedback, turns and closed sessions; sweep due namespaces (default)")
    sweep = sub.add_parser("sweep", help="archive what faded in a namespace now")
    sweep.add_argument("--namespace", action="append", default=[], required=True, help="tenant/agent/user")
    sweep.add_argument("--now", default=None, help="the clock (ISO 8601), for replays; default now")
    sweep.add_argument("--progress", choices=("none", "jsonl"), default="none")
    sweep.add_argument("--offline", action="store_true", help="publish no memory.archived events (no NATS)")
    restore = sub.add_parser("restore", help="bring archived memories back to the hot index")
    restore.add_argument("--namespace", required=True)
    what = restore.add_mutually_exclusive_group(required=True)
    what.add_argument("--memory", action="append", default=[], help="a memory id (repeat for several)")
    what.add_argument("--session", default="", help="every archived memory of a session")
    what.add_argument("--all", action="store_true", help="the whole archive of the namespace")
    restore.add_argument("--offline", action="store_true", help="publish no memory.restored events (no NATS)")
    status = sub.add_parser("status", help="hot and archived memory counts of a namespace")
    status.add_argument("--namespace", required=True)
    return parser.parse_args(argv)


async def sweep_command(args: argparse.Namespace, settings: ForgettingSettings) -> int:
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"--now {args.now!r} has no time zone; add one, e.g. {args.now}+00:00")
    stores = await Stores.open()
    broker = None if args.offline else create_broker(settings.nats_url, name="forgetting-sweep")
    try:
        if broker is not None:
            await broker.connect()
            await ensure_streams(broker, MEMORY_STREAM)
        sweeper = create_sweeper(stores, settings, StrengthSettings().law(), broker)
        for namespace in args.namespace:

            def progress(ns: str, done: int, total: int) -> None:
                if args.progress == "jsonl":
                    emit(event="progress", namespace=ns, done=done, total=total)

            report = await sweeper.sweep(namespace, now, progress)
            emit(event="swept", **report.__dict__ | {"sessions": len(report.sessions)})
    finally:
        if broker is not None:
            await close_broker(broker)
        await stores.aclose()
    return 0


async def restore_command(args: argparse.Namespace, settings: ForgettingSettings) -> int:
    stores = await Stores.open()
    try:
        now = datetime.now(UTC)
        records = await ColdArchive(stores.store, stores.graph).restore(
            args.namespace, memory_ids=args.memory, session_id=args.session, everything=args.all, now=now
        )
        if not records:
            print("nothing archived matched; nothing was restored", file=sys.stderr)
            return 3
        if not args.offline:
            broker = create_broker(settings.nats_url, name="forgetting-restore")
            await broker.connect()
            try:
                await ensure_streams(broker, MEMORY_STREAM)
                publisher = JetStreamPublisher(broker)
                for session in sorted({r.session_id for r in records}):
                    ids = [r.memory_id for r in records if r.session_id == session]
                    for start in range(0, len(ids), IDS_PER_EVENT):  # events stay far below NATS's 1 MB
                        chunk = tuple(ids[start : start + IDS_PER_EVENT])
                        await publisher.publish_event(
                            MemoryRestored(
                                namespace=args.namespace, session_id=session, memory_ids=chunk, restored_at=now
                            ),
                        )
            finally:
                await close_broker(broker)
        emit(event="restored", namespace=args.namespace, memories=len(records))
    finally:
        await stores.aclose()
    return 0


async def status_command(args: argparse.Namespace) -> int:
    stores = await Stores.open()
    try:
        archive = ColdArchive(stores.store, stores.graph)
        emit(
            event="status",
            namespace=args.namespace,
            hot=await stores.store.count(args.namespace),
            archived=await archive.count(args.namespace),
        )
    finally:
        await stores.aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = ForgettingSettings()
        named = getattr(args, "namespace", None) or []
        for namespace in named if isinstance(named, list) else [named]:
            validate_namespace(namespace)
        if getattr(args, "session", ""):
            validate_session_id(args.session)
        if args.command == "sweep":
            return asyncio.run(sweep_command(args, settings))
        if args.command == "restore":
            return asyncio.run(restore_command(args, settings))
        if args.command == "status":
            return asyncio.run(status_command(args))
    except (IdentifierError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run()
    return 0
