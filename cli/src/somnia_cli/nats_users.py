"""NATS users for `somnia up`: one per service, each allowed to publish only the events the registry says
it publishes, to reach through the JetStream API only the streams and KV buckets it uses
(somnia_contracts.streams_used / buckets_used), and to read replies only on its own inboxes
(`_INBOX.<user>.`, see somnia_bus.create_broker); and an operator for the CLI that may do anything.
Passwords are made on first start and kept in `<home>/auth/nats-users.json` (0600)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from somnia_bus import inbox_prefix
from somnia_contracts import AUDIT_STREAM, ERASERS, buckets_used, published_subjects, streams_used
from somnia_nats_server import NatsUser, render_authorization

OPERATOR = "operator"
# The CLI as a scheduled job uses: it may publish what the registry gives "cli" (dream requests).
CLI = "cli"
SERVICES = ("capture", "embedding", "graph", "cache-warming", "forgetting", "recall", "dreaming")


def stream_api(stream: str, *, erase: bool) -> list[str]:
    """The JetStream API subjects for one stream: declare and inspect it, read messages, run durable and
    ordered consumers on it, acknowledge; deleting messages (erasure) only when `erase`."""
    api = "$JS.API"
    allowed = [
        f"{api}.STREAM.CREATE.{stream}",
        f"{api}.STREAM.UPDATE.{stream}",
        f"{api}.STREAM.INFO.{stream}",
        f"{api}.STREAM.MSG.GET.{stream}",
        f"{api}.DIRECT.GET.{stream}",
        f"{api}.DIRECT.GET.{stream}.>",
        f"{api}.CONSUMER.CREATE.{stream}",
        f"{api}.CONSUMER.*.{stream}.>",
        f"{api}.CONSUMER.MSG.NEXT.{stream}.>",
        f"{api}.CONSUMER.DURABLE.CREATE.{stream}.>",
        f"$JS.ACK.{stream}.>",
    ]
    if erase:
        allowed += [f"{api}.STREAM.MSG.DELETE.{stream}", f"{api}.STREAM.PURGE.{stream}"]
    return allowed


def service_permissions(service: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(publish, subscribe) allow-lists for `service`'s NATS user."""
    # An eraser deletes messages anywhere but the audit trail, which no erasure may touch.
    erase = service in ERASERS
    streams = [*streams_used(service), *(f"KV_{bucket}" for bucket in buckets_used(service))]
    publish = [
        "$JS.API.INFO",
        *published_subjects(service),
        *(subject for stream in streams for subject in stream_api(stream, erase=erase and stream != AUDIT_STREAM.name)),
        *(f"$KV.{bucket}.>" for bucket in buckets_used(service)),
    ]
    return tuple(publish), (f"{inbox_prefix(service)}.>",)


def passwords(directory: Path) -> dict[str, str]:
    """Each user's password, made once and kept."""
    path = directory / "nats-users.json"
    try:
        known: dict[str, str] = json.loads(path.read_text())
    except FileNotFoundError:
        known = {}
    wanted = {name: known.get(name) or secrets.token_hex(16) for name in (*SERVICES, OPERATOR)}
    if wanted != known:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(wanted, out, indent=2)
    return wanted


def nats_users(directory: Path) -> list[NatsUser]:
    known = passwords(directory)
    users = [NatsUser(name, known[name], *service_permissions(name)) for name in SERVICES]
    return [*users, NatsUser(OPERATOR, known[OPERATOR])]


def password_variable(user: str) -> str:
    """The environment variable a cluster's nats-server reads `user`'s password from."""
    return "SOMNIA_NATS_PASSWORD_" + user.upper().replace("-", "_")


def cluster_users() -> list[NatsUser]:
    """The same users for a NATS server you run (the chart's ConfigMap, `somnia nats-config`): passwords
    are $SOMNIA_NATS_PASSWORD_<USER> references, set from a Secret. `cli` is for scheduled jobs that ask
    for dreams; `operator` may do anything (administration, the CLI's status)."""
    users = [NatsUser(name, "", *service_permissions(name), password_variable(name)) for name in (*SERVICES, CLI)]
    return [*users, NatsUser(OPERATOR, "", password_env=password_variable(OPERATOR))]


def nats_authorization() -> str:
    """The cluster users as a nats-server config file (generated; `make asyncapi` refreshes the chart's copy)."""
    header = (
        "# Somnia's NATS users, generated from the event registry by `somnia nats-config`: do not edit.\n"
        "# Include it in your nats-server config; set each $SOMNIA_NATS_PASSWORD_<USER> in the server's\n"
        "# environment (URL-safe characters), and give each component the same password.\n"
    )
    return header + render_authorization(cluster_users()) + "\n"


def nats_url(host: str, port: int, directory: Path, user: str) -> str:
    """The URL a process connects with as `user` (credentials in it; never log it)."""
    password = passwords(directory)[user]
    return f"nats://{quote(user)}:{quote(password)}@{host}:{port}"
