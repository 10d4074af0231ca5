"""NATS users for `somnia up`: one per service, each allowed to publish only the events the registry says
it publishes (plus the JetStream API, acks, KV buckets and reply inboxes), and an operator for the CLI.
Passwords are made on first start and kept in `<home>/auth/nats-users.json` (0600)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from somnia_contracts import published_subjects
from somnia_nats_server import NatsUser

OPERATOR = "operator"
SERVICES = ("capture", "embedding", "graph", "cache-warming", "forgetting", "recall", "dreaming")
# What every service needs besides its own events: the JetStream API (streams, consumers, fetch),
# acknowledgements, KV buckets, and the inboxes replies come back on.
PLUMBING = ("$JS.API.>", "$JS.ACK.>", "$KV.>", "_INBOX.>")


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
    users = [
        NatsUser(
            name,
            known[name],
            publish=(*PLUMBING, *published_subjects(name)),
            subscribe=("_INBOX.>", "$KV.>"),
        )
        for name in SERVICES
    ]
    return [*users, NatsUser(OPERATOR, known[OPERATOR])]


def nats_url(host: str, port: int, directory: Path, user: str) -> str:
    """The URL a process connects with as `user` (credentials in it; never log it)."""
    password = passwords(directory)[user]
    return f"nats://{quote(user)}:{quote(password)}@{host}:{port}"
