"""`somnia`: up, status, capture, import, recall, warm, feedback, dream, adapters, forget, keys, nats-config."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import grpc
import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from somnia_contracts import ROLES

from somnia_cli.backlog import consumer_backlogs
from somnia_cli.client import LAYER_NAMES, SomniaClient, make_turn
from somnia_cli.dream import run_dream, summary_table
from somnia_cli.exports import read_chatgpt, read_claude
from somnia_cli.forgetting import run_forgetting, sweep_table
from somnia_cli.keys import keys_app
from somnia_cli.nats_users import OPERATOR, nats_authorization, nats_url
from somnia_cli.parametric import adapters_table, explain_table, run_dreaming
from somnia_cli.reindex import ReindexRefused, reindex_command
from somnia_cli.settings import CliSettings
from somnia_cli.supervisor import Supervisor, check_health, common_env, service_specs
from somnia_cli.transcripts import ParsedLine, parse_chat_text, read_jsonl

app = typer.Typer(
    name="somnia",
    help="Somnia: long-term memory for LLM agents. `somnia up` runs it on this machine.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(keys_app, name="keys")
console = Console()
err = Console(stderr=True)


class FeedbackChoice(StrEnum):
    helped = "helped"
    misled = "misled"
    succeeded = "succeeded"
    failed = "failed"
    disproven = "disproven"
    retracted = "retracted"
    checked_absent = "checked_absent"


NamespaceOption = Annotated[
    str | None, typer.Option("--namespace", "-n", help="tenant/agent/user (default: $SOMNIA_NAMESPACE)")
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(code)


def rpc_error(exc: grpc.RpcError, what: str) -> typer.Exit:
    code = exc.code() if isinstance(exc, grpc.Call) else None
    details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
    if code == grpc.StatusCode.UNAVAILABLE:
        return fail(f"{what}: Somnia is not reachable ({details}). Is `somnia up` running?")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return fail(
            f"{what}: {details}. Set SOMNIA_API_KEY to a key (`somnia keys create`) or a token; "
            "`somnia up` makes a local key on first start"
        )
    return fail(f"{what}: {code.name if code else 'error'}: {details}")


def status_table(supervisor: Supervisor) -> Table:
    table = Table(title="somnia up", caption="Ctrl-C stops everything", expand=False)
    for column in ("service", "pid", "address", "health", "restarts", "log"):
        table.add_column(column)
    nats = supervisor.nats
    running = nats.exit_code() is None
    table.add_row(
        "nats-server",
        str(nats.pid),
        nats.url,
        "[green]running[/]" if running else "[red]restarting[/]",
        str(supervisor.nats_restarts),
        str(nats.log_file),
    )
    for state in supervisor.services:
        health = "[green]serving[/]" if state.healthy else "[yellow]starting[/]"
        if state.process is None:
            health = "[red]restarting[/]"
        table.add_row(
            state.spec.name,
            str(state.process.pid if state.process else "-"),
            f"{supervisor.settings.host}:{state.spec.port}",
            health,
            str(state.restarts),
            str(supervisor.log_path(state.spec.name)),
        )
    return table


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def up(
    home: Annotated[Path | None, typer.Option(help="data directory (default: $SOMNIA_HOME)")] = None,
) -> None:
    """Start NATS (JetStream, fsync on every write) and all services; Ctrl-C stops them cleanly."""
    settings = CliSettings(home=home) if home else CliSettings()
    supervisor = Supervisor(settings)
    # SIGTERM and SIGHUP stop as cleanly as Ctrl-C does; SIGINT is set too, since a shell that starts
    # `somnia up &` in the background leaves it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        supervisor.start()
    except Exception as exc:
        supervisor.stop()
        raise fail(str(exc)) from exc
    interactive = console.is_terminal
    announced = False
    try:
        if interactive:
            with Live(status_table(supervisor), console=console, refresh_per_second=2) as live:
                while True:
                    supervisor.poll()
                    live.update(status_table(supervisor))
                    time.sleep(0.5)
        else:
            while True:
                for event in supervisor.poll():
                    console.print(event)
                if supervisor.all_healthy() and not announced:
                    announced = True
                    console.print(f"somnia is up: capture {settings.capture_address}, recall {settings.recall_address}")
                time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping services, then NATS ...")
    finally:
        supervisor.stop()
        console.print("somnia stopped")


@app.command()
def status() -> None:
    """Show whether each service is alive and ready (it reaches NATS and, for consumers, its stores),
    and each consumer's backlog: the messages waiting for it."""
    settings = CliSettings()
    table = Table(title="somnia status")
    table.add_column("service")
    table.add_column("address")
    table.add_column("health")
    healthy = True
    for spec in service_specs(settings):
        alive = check_health(settings.host, spec.port)
        ready = alive and check_health(settings.host, spec.port, service="readiness")
        healthy &= ready
        health = "[green]serving[/]" if ready else "[yellow]alive, not ready[/]" if alive else "[red]down[/]"
        table.add_row(spec.name, f"{settings.host}:{spec.port}", health)
    console.print(table)
    try:
        backlogs = asyncio.run(
            consumer_backlogs(nats_url(settings.host, settings.nats_port, settings.auth_dir, OPERATOR))
        )
    except Exception as exc:  # NATS itself is down: say so, the table above already shows who cannot work
        console.print(f"[red]NATS at {settings.host}:{settings.nats_port} is not reachable: {exc!r}[/]")
        raise typer.Exit(1) from exc
    waiting = Table(title="consumers")
    for column in ("stream", "consumer", "pending", "unacknowledged"):
        waiting.add_column(column, justify="left" if column in ("stream", "consumer") else "right")
    for stream, durable, pending, unacked in backlogs:
        waiting.add_row(stream, durable, str(pending), str(unacked))
    console.print(waiting)
    if not healthy:
        raise typer.Exit(1)


@app.command()
def capture(
    text: Annotated[str | None, typer.Argument(help="the text to remember")] = None,
    session: Annotated[str | None, typer.Option("--session", "-s", help="session id (default: a new one)")] = None,
    role: Annotated[str, typer.Option("--role", "-r", help="user, assistant, system or tool")] = "user",
    transcript: Annotated[
        Path | None, typer.Option("--transcript", "-t", help="a text file of 'role: content' lines")
    ] = None,
    namespace: NamespaceOption = None,
) -> None:
    """Remember a piece of text, or a whole 'role: content' transcript, as one session."""
    settings = CliSettings()
    ns = namespace or settings.namespace
    if role not in ROLES:
        raise fail(f"--role {role!r} is unknown; use user, assistant, system or tool")
    if transcript is not None:
        if not transcript.is_file():
            raise fail(f"{transcript} does not exist")
        pairs = parse_chat_text(transcript.read_text(encoding="utf-8"), default_role=role)
    elif text is not None:
        pairs = [(role, text)]
    else:
        raise fail("give the text to capture, or --transcript FILE")
    if not pairs:
        raise fail("nothing to capture: the text is empty")
    session_id = session or f"cli-{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    client = SomniaClient.from_settings(settings)
    try:
        # Each turn a microsecond after the one before, so a transcript keeps its order.
        turns = [
            make_turn(role=r, content=c, occurred_at=now + timedelta(microseconds=i)) for i, (r, c) in enumerate(pairs)
        ]
        response = client.capture(ns, session_id, turns)
    except grpc.RpcError as exc:
        raise rpc_error(exc, "capture failed") from exc
    finally:
        client.close()
    duplicates = sum(1 for a in response.acks if a.duplicate)
    console.print(
        f"captured {len(response.acks) - duplicates} turn(s) into session [bold]{session_id}[/] of {ns}"
        + (f" ({duplicates} already known)" if duplicates else "")
    )


class ImportFormat(StrEnum):
    jsonl = "jsonl"
    chatgpt = "chatgpt"
    claude = "claude"


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="JSONL transcript, or a ChatGPT / Claude conversations.json")],
    format_: Annotated[
        ImportFormat,
        typer.Option("--format", "-f", help="jsonl (one turn per line), chatgpt or claude (their data exports)"),
    ] = ImportFormat.jsonl,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="namespace for lines that carry none (default: $SOMNIA_NAMESPACE)"),
    ] = None,
    batch: Annotated[int, typer.Option(help="turns per Capture request", min=1, max=1000)] = 100,
    skip_invalid: Annotated[bool, typer.Option(help="import the valid lines even if some are wrong")] = False,
) -> None:
    """Import transcripts (JSONL: namespace, session_id, role, content, timestamp, speaker, tool_*), or the
    conversations of a ChatGPT or Claude data export (one session per conversation)."""
    settings = CliSettings()
    if not file.is_file():
        raise fail(f"{file} does not exist")
    lines: list[ParsedLine] = []
    problems: list[str] = []
    ignored: Counter[str] = Counter()
    without_text: list[int] = []
    target = namespace or settings.namespace
    try:
        if format_ is ImportFormat.chatgpt:
            items = list(read_chatgpt(file, target, without_text))
        elif format_ is ImportFormat.claude:
            items = list(read_claude(file, target, without_text))
        else:
            items = list(read_jsonl(file, default_namespace=target, ignored=ignored))
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{file} cannot be read as {format_.value}: {exc}") from exc
    for item in items:
        (problems if isinstance(item, str) else lines).append(item)  # type: ignore[arg-type]
    if ignored:
        listed = ", ".join(f"{name} ({count} line{'s' if count > 1 else ''})" for name, count in ignored.most_common())
        err.print(f"note: ignored field(s) the transcript format does not have: {listed}", soft_wrap=True, markup=False)
    if problems:
        for problem in problems[:20]:
            err.print(f"  {file}:{problem}", soft_wrap=True, markup=False)
        if len(problems) > 20:
            err.print(f"  ... and {len(problems) - 20} more")
        if not skip_invalid:
            raise fail(f"{len(problems)} invalid line(s); fix them or pass --skip-invalid. Nothing was imported.")
    groups: dict[tuple[str, str], list[ParsedLine]] = defaultdict(list)
    for line in lines:
        groups[(line.turn.namespace, line.turn.session_id)].append(line)
    client = SomniaClient.from_settings(settings)
    accepted = duplicates = 0
    progress = Progress(
        TextColumn("[bold]importing[/] {task.fields[session]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    try:
        with progress:
            task = progress.add_task("import", total=len(lines), session="")
            for (ns, session_id), group in groups.items():
                progress.update(task, session=f"{ns} {session_id}")
                for start in range(0, len(group), batch):
                    chunk = group[start : start + batch]
                    turns = [
                        make_turn(
                            role=p.turn.role,
                            content=p.turn.content,
                            occurred_at=p.turn.timestamp,
                            turn_id=p.turn.turn_id,
                            tool_name=p.turn.tool_name,
                            tool_arguments_json=p.turn.arguments_json,
                            tool_result=p.turn.result_text,
                            speaker=p.turn.speaker,
                        )
                        for p in chunk
                    ]
                    try:
                        response = client.capture(ns, session_id, turns)
                    except grpc.RpcError as exc:
                        first = chunk[0].number
                        raise rpc_error(
                            exc,
                            f"import stopped at lines {first}-{chunk[-1].number} (earlier lines are kept)",
                        ) from exc
                    dup = sum(1 for a in response.acks if a.duplicate)
                    duplicates += dup
                    accepted += len(response.acks) - dup
                    progress.advance(task, len(chunk))
    finally:
        client.close()
    console.print(
        f"imported {accepted} turn(s) in {len(groups)} session(s)"
        + (f"; {duplicates} were already known" if duplicates else "")
        + (f"; skipped {len(problems)} invalid line(s)" if problems else "")
        + (f"; left out {len(without_text)} message(s) without text" if without_text else "")
    )


@app.command()
def recall(
    query: Annotated[str, typer.Argument(help="what to remember")],
    k: Annotated[int, typer.Option("--k", "-k", help="how many items", min=1, max=100)] = 10,
    namespace: NamespaceOption = None,
    budget: Annotated[int | None, typer.Option(help="pack the items into at most this many tokens", min=1)] = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="recall what was known then (ISO time, UTC when no zone is given)")
    ] = None,
    valid_at: Annotated[
        datetime | None,
        typer.Option(help="recall what held then in the conversation's own time (ISO time, UTC when no zone)"),
    ] = None,
    archived: Annotated[bool, typer.Option(help="search the cold archive too (memories that faded)")] = False,
    retracted: Annotated[
        bool, typer.Option(help="also show memories their speaker took back (flagged); left out by default")
    ] = False,
    timeline: Annotated[bool, typer.Option(help="list the items in the order they happened, oldest first")] = False,
) -> None:
    """Recall what Somnia remembers about QUERY, best first (or in time order with --timeline)."""
    settings = CliSettings()
    client = SomniaClient.from_settings(settings)
    try:
        response = client.recall(
            namespace or settings.namespace,
            query,
            k,
            token_budget=budget,
            as_of=as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of is not None else None,
            valid_at=valid_at.replace(tzinfo=valid_at.tzinfo or UTC) if valid_at is not None else None,
            include_archived=archived,
            include_retracted=retracted,
            timeline=timeline,
        )
    except grpc.RpcError as exc:
        raise rpc_error(exc, "recall failed") from exc
    finally:
        client.close()
    if not response.items:
        console.print("nothing recalled: no memory in this namespace matches")
        return
    table = Table(title=f"recall: {query}", show_lines=True)
    table.add_column("#", style="dim", justify="right")
    table.add_column("score", justify="right")
    table.add_column("memory", ratio=3, overflow="fold")
    table.add_column("from", ratio=1, overflow="fold")
    for rank, item in enumerate(response.items, start=1):
        when = item.occurred_at.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M")
        source = f"{item.session_id}\n{item.provenance.role}, {when}\n[dim]{item.why}\nid {item.memory_id}[/]"
        if item.status != "asserted":
            colour = "green" if item.status == "current" else "red"
            by = f" by {item.changed_by}" if item.changed_by else ""
            source = f"[bold {colour}]{item.status}[/]{by}: {item.status_reason}\n{source}"
        if item.archived:
            source = f"[yellow]archived[/]\n{source}"
        table.add_row(str(rank), f"{item.scores.final:.3f}", item.text, source)
    console.print(table)
    console.print(f"[dim]{response.token_count} tokens ({response.tokenizer})[/]")


@app.command()
def warm(
    session_id: Annotated[str, typer.Argument(help="the session to warm (new or resumed)")],
    namespace: NamespaceOption = None,
    agent: Annotated[str, typer.Option(help="the agent starting the session")] = "",
    opening: Annotated[str, typer.Option(help="the opening message or task")] = "",
    tool: Annotated[list[str] | None, typer.Option(help="a tool the agent has (repeat the option)")] = None,
    rebuild: Annotated[bool, typer.Option(help="ignore a stored pack and build a new one")] = False,
    show: Annotated[bool, typer.Option(help="print the rendered pack, not just its layers")] = False,
    why: Annotated[bool, typer.Option(help="list each memory with why it is in the pack")] = False,
) -> None:
    """Show the warm pack a session starts with: L4..L1 layers under their token budgets."""
    settings = CliSettings()
    client = SomniaClient.from_settings(settings)
    try:
        pack = client.warm_cache(
            namespace or settings.namespace, session_id, agent=agent, opening=opening, tools=tool or (), rebuild=rebuild
        )
    except grpc.RpcError as exc:
        raise rpc_error(exc, "warm cache failed") from exc
    finally:
        client.close()
    origin = "stored at session start" if pack.from_cache else "built now"
    table = Table(title=f"warm pack for {session_id} ({origin}, {pack.build_ms:.0f} ms)")
    for column in ("layer", "items", "tokens", "budget", "carried in", "fill"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for layer in pack.layers:
        room = layer.budget + layer.carried
        table.add_row(
            LAYER_NAMES.get(layer.layer, str(layer.layer)),
            str(len(layer.items)),
            str(layer.token_count),
            str(layer.budget),
            str(layer.carried),
            f"{layer.token_count / room:.0%}" if room else "-",
        )
    console.print(table)
    console.print(f"[dim]{pack.token_count} tokens ({pack.tokenizer})[/]")
    if why:
        reasons = Table(title="why each memory is in the pack")
        for column in ("layer", "memory", "why"):
            reasons.add_column(column)
        for layer in pack.layers:
            for item in layer.items:
                reasons.add_row(LAYER_NAMES.get(layer.layer, "?"), item.text[:80], item.why)
        console.print(reasons)
    if show:
        console.print(pack.rendered, markup=False, highlight=False)


@app.command()
def wake(
    session_id: Annotated[str, typer.Argument(help="the session under way")],
    text: Annotated[str, typer.Argument(help="the newest turn (or the last few)")],
    namespace: NamespaceOption = None,
    budget: Annotated[int | None, typer.Option(help="tokens for the delta (server default 1,000)")] = None,
    known: Annotated[
        list[str] | None, typer.Option(help="a memory id the agent already holds (repeat the option)")
    ] = None,
) -> None:
    """Live wake: the memories the newest turn makes relevant that the session's agent does not hold yet
    (its warm pack and what --known names are left out)."""
    settings = CliSettings()
    client = SomniaClient.from_settings(settings)
    try:
        delta = client.wake_delta(
            namespace or settings.namespace, session_id, text, token_budget=budget, known=known or ()
        )
    except grpc.RpcError as exc:
        raise rpc_error(exc, "wake failed") from exc
    finally:
        client.close()
    if not delta.items:
        console.print(f"[dim]nothing new for {session_id} ({delta.build_ms:.0f} ms)[/]")
        return
    table = Table(title=f"now relevant to {session_id} ({delta.build_ms:.0f} ms)")
    for column in ("#", "memory", "why", "id"):
        table.add_column(column, justify="right" if column == "#" else "left")
    for rank, item in enumerate(delta.items, 1):
        table.add_row(str(rank), item.text, item.why, item.memory_id)
    console.print(table)
    console.print(f"[dim]{delta.token_count} tokens ({delta.tokenizer})[/]")


@app.command()
def feedback(
    signal: Annotated[
        FeedbackChoice,
        typer.Argument(
            help="helped / misled / disproven / retracted (a memory), succeeded / failed / checked_absent (a session)"
        ),
    ],
    memory_id: Annotated[str, typer.Option("--memory", "-m", help="the recalled memory's id")] = "",
    session_id: Annotated[str, typer.Option("--session", "-s", help="the session whose task it was")] = "",
    note: Annotated[str, typer.Option(help="why, in a sentence; for checked_absent, what was looked for")] = "",
    evidence: Annotated[str, typer.Option(help="for disproven: the memory id that shows it wrong")] = "",
    namespace: NamespaceOption = None,
) -> None:
    """Tell Somnia a memory helped, misled, was disproven or retracted; a session's task succeeded or failed;
    or a search found nothing (checked_absent). Failures and absences become negative memories."""
    settings = CliSettings()
    client = SomniaClient.from_settings(settings)
    try:
        response = client.feedback(
            namespace or settings.namespace,
            signal.value,
            memory_id=memory_id,
            session_id=session_id,
            note=note,
            evidence_memory_id=evidence,
        )
    except grpc.RpcError as exc:
        raise rpc_error(exc, "feedback failed") from exc
    finally:
        client.close()
    console.print(f"recorded {signal.value} ({response.feedback_id})")


@app.command()
def dream(
    namespace: NamespaceOption = None,
    days: Annotated[float, typer.Option(help="dream over this many days back from now")] = 7.0,
    since: Annotated[str, typer.Option(help="the window's start, ISO 8601 with a zone (overrides --days)")] = "",
    run_id: Annotated[str, typer.Option(help="resume this run, or name a new one")] = "",
    job: Annotated[list[str] | None, typer.Option(help="only this job and what it needs (repeat)")] = None,
    offline: Annotated[bool, typer.Option(help="run without NATS: no events, no resumable checkpoint")] = False,
    explain: Annotated[
        bool,
        typer.Option(help="print the promotion rule's decision on every candidate for the weights; change nothing"),
    ] = False,
    limit: Annotated[int, typer.Option(help="with --explain: at most this many candidates")] = 40,
    as_json: Annotated[bool, typer.Option("--json", help="with --explain: the decisions as JSON lines")] = False,
) -> None:
    """Dream over recent sessions: mine patterns, find communities and clusters, consolidate insights.
    `--job promote` also trains an adapter when the promotion rule says it is worth it."""
    settings = CliSettings()
    if explain:
        _explain(namespace or settings.namespace, days, since, limit, as_json, settings)
        return
    if not offline and not _nats_up(settings):
        raise fail(
            f"NATS is not running on {settings.host}:{settings.nats_port}; start `somnia up` first, "
            "or pass --offline to dream without events and checkpoints"
        )
    args = ["--namespace", namespace or settings.namespace, "--days", str(days)]
    args += ["--since", since] if since else []
    args += ["--run-id", run_id] if run_id else []
    args += [a for j in job or () for a in ("--job", j)]
    args += ["--no-bus"] if offline else []
    settings.home.mkdir(parents=True, exist_ok=True)
    log_path = settings.home / "dream.log"
    outcome = run_dream(args, common_env(settings, nats_user="dreaming"), console, str(log_path))
    console.print(summary_table(outcome))
    if outcome.error:
        raise fail(outcome.error)
    found = (
        "`somnia adapters` lists what was trained"
        if job == ["promote"]
        else "recall now finds the insights (kinds semantic and procedural)"
    )
    console.print(f"[dim]log: {log_path}; {found}[/]")


def _explain(namespace: str, days: float, since: str, limit: int, as_json: bool, settings: CliSettings) -> None:
    args = ["--namespace", namespace, "--days", str(days), *(["--since", since] if since else [])]
    settings.home.mkdir(parents=True, exist_ok=True)
    log_path = settings.home / "dream.log"
    out = run_dreaming("explain", args, common_env(settings, nats_user="dreaming"), str(log_path))
    if out.returncode:
        raise fail(f"explaining the promotion rule failed (exit {out.returncode}); see {log_path}")
    if as_json:
        for line in out.lines:
            print(json.dumps(line))
        return
    console.print(explain_table(out.lines, limit))


@app.command()
def adapters(
    namespace: NamespaceOption = None,
    serving: Annotated[bool, typer.Option(help="print what a LoRA-serving engine (vLLM) loads, as JSON")] = False,
) -> None:
    """The LoRA adapters dreaming trained for a namespace: version, status (live, stale, ...), memories, probes."""
    settings = CliSettings()
    if not _nats_up(settings):
        raise fail(f"NATS is not running on {settings.host}:{settings.nats_port}; start `somnia up` first")
    ns = namespace or settings.namespace
    settings.home.mkdir(parents=True, exist_ok=True)
    log_path = settings.home / "dream.log"
    args = ["--namespace", ns, *(["--serving"] if serving else [])]
    out = run_dreaming("adapters", args, common_env(settings, nats_user="dreaming"), str(log_path))
    if out.returncode:
        raise fail(f"reading the adapter registry failed (exit {out.returncode}); see {log_path}")
    if serving:
        print(json.dumps({k: v for k, v in out.lines[0].items() if k != "event"}, indent=2))
        return
    if not out.lines:
        console.print(f"no adapters for {ns} yet: `somnia dream --explain` shows what the promotion rule decides")
        return
    console.print(adapters_table(ns, out.lines))


@app.command()
def forget(
    memory_id: Annotated[str, typer.Option("--memory", "-m", help="a memory id, as recall shows it")] = "",
    session_id: Annotated[str, typer.Option("--session", "-s", help="a whole session")] = "",
    subject: Annotated[str, typer.Option(help="a person, place or topic: every memory that mentions it")] = "",
    everything: Annotated[
        bool, typer.Option("--entire-namespace", help="the whole namespace (needs --confirm with its name)")
    ] = False,
    confirm: Annotated[str, typer.Option(help="repeat the namespace to erase all of it")] = "",
    reason: Annotated[str, typer.Option(help="why, for the audit trail (no memory content)")] = "",
    namespace: NamespaceOption = None,
) -> None:
    """Erase for good: from the stores, the graph, warm packs, event streams and insights made from it."""
    chosen = [bool(memory_id), bool(session_id), bool(subject), everything]
    if sum(chosen) != 1:
        raise fail("say what to forget: exactly one of --memory, --session, --subject or --entire-namespace")
    settings = CliSettings()
    client = SomniaClient.from_settings(settings)
    ns = namespace or settings.namespace
    try:
        response = client.forget(
            ns,
            memory_id=memory_id,
            session_id=session_id,
            subject=subject,
            entire_namespace=everything,
            confirm_namespace=confirm,
            reason=reason,
        )
    except grpc.RpcError as exc:
        raise rpc_error(exc, "forget failed") from exc
    finally:
        client.close()
    if response.already_forgotten:
        console.print(f"already forgotten (audit {response.audit_id}); nothing left to erase")
        return
    table = Table(title=f"forgotten from {ns} (audit {response.audit_id})")
    table.add_column("what")
    table.add_column("erased", justify="right")
    for label, value in (
        ("memories", response.memories),
        ("graph nodes", response.graph_nodes),
        ("warm packs", response.warm_packs),
        ("stream messages", response.stream_messages),
        ("insights deleted", response.insights_deleted),
        ("insights rewritten without it", response.insights_rebuilt),
    ):
        table.add_row(label, str(value))
    console.print(table)


@app.command()
def sweep(
    namespace: NamespaceOption = None,
    now: Annotated[str, typer.Option(help="the clock, ISO 8601 with a zone (for replays); default now")] = "",
    offline: Annotated[bool, typer.Option(help="run without NATS: no memory.archived events")] = False,
) -> None:
    """Forget on purpose now: consolidate what faded into session digests, then archive it out of the hot
    index (restorable with `somnia restore`). The forgetting service also does this on its own."""
    settings = CliSettings()
    if not offline and not _nats_up(settings):
        raise fail(f"NATS is not running on {settings.host}:{settings.nats_port}; start `somnia up`, or pass --offline")
    args = ["sweep", "--namespace", namespace or settings.namespace, "--progress", "jsonl"]
    args += ["--now", now] if now else []
    args += ["--offline"] if offline else []
    settings.home.mkdir(parents=True, exist_ok=True)
    log_path = settings.home / "forgetting.log"
    code, events = run_forgetting(args, common_env(settings, nats_user="forgetting"), console, str(log_path))
    for event in events:
        if event.get("event") == "swept":
            console.print(sweep_table(event))
    if code:
        raise fail(f"the sweep failed (exit {code}); see {log_path}")


@app.command()
def restore(
    memory_id: Annotated[
        list[str] | None, typer.Option("--memory", "-m", help="an archived memory id (repeat)")
    ] = None,
    session_id: Annotated[str, typer.Option("--session", "-s", help="every archived memory of a session")] = "",
    everything: Annotated[bool, typer.Option("--all", help="the namespace's whole archive")] = False,
    namespace: NamespaceOption = None,
) -> None:
    """Bring archived memories back to the hot index (Recall finds them again without --archived)."""
    if sum([bool(memory_id), bool(session_id), everything]) != 1:
        raise fail("say what to restore: exactly one of --memory, --session or --all")
    settings = CliSettings()
    args = ["restore", "--namespace", namespace or settings.namespace]
    args += [a for m in memory_id or () for a in ("--memory", m)]
    args += ["--session", session_id] if session_id else []
    args += ["--all"] if everything else []
    args += [] if _nats_up(settings) else ["--offline"]
    settings.home.mkdir(parents=True, exist_ok=True)
    log_path = settings.home / "forgetting.log"
    code, events = run_forgetting(args, common_env(settings, nats_user="forgetting"), console, str(log_path))
    if code == 3:
        raise fail("nothing archived matched; nothing was restored", code=3)
    if code:
        raise fail(f"restore failed (exit {code}); see {log_path}")
    for event in events:
        if event.get("event") == "restored":
            console.print(f"restored {event['memories']} memories to the hot index of {event['namespace']}")


class EmbedderKind(StrEnum):
    """The offline models: running services can load them by themselves when the store moves."""

    minilm = "onnx-minilm"
    bge_small = "onnx-bge-small"


@app.command()
def reindex(
    embedder: Annotated[EmbedderKind, typer.Option(help="the offline model to move the store to")],
    batch: Annotated[int, typer.Option(min=1, max=4096, help="memories embedded at a time")] = 256,
    restart: Annotated[bool, typer.Option(help="drop another reindex in progress and start over")] = False,
) -> None:
    """Re-embed every memory with another model, beside the old vectors, then swap (one transaction on
    the embedded store; on Weaviate a new collection, and writes wait out the last sweep). Recall keeps
    answering from the old vectors until the swap; running services follow it. Interrupted, it resumes
    where it stopped when run again. Run one at a time."""
    settings = CliSettings()
    try:
        table = reindex_command(embedder.value, settings.home / "store", batch=batch, restart=restart, console=console)
    except ReindexRefused as exc:
        raise fail(str(exc)) from exc
    console.print(table)
    console.print(
        "Recall, embedding and cache-warming already embed with it; dreaming and forgetting pick it up when "
        f"they restart. Set SOMNIA_EMBEDDER_KIND={embedder.value} to say so in the configuration too."
    )


def _nats_up(settings: CliSettings) -> bool:
    try:
        with socket.create_connection((settings.host, settings.nats_port), timeout=1.0):
            return True
    except OSError:
        return False


def main() -> None:
    app()


@app.command("nats-config")
def nats_config() -> None:
    """Print the `authorization` block for a NATS server you run: one user per Somnia service, allowed
    only the subjects, streams and buckets it uses. Passwords are $SOMNIA_NATS_PASSWORD_<USER> references
    for the server's environment (the chart ships the same block in a ConfigMap)."""
    print(nats_authorization(), end="")
