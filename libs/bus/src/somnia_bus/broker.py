"""A FastStream NATS broker with OpenTelemetry on every publish and consume."""

from __future__ import annotations

import logging
from urllib.parse import unquote

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from opentelemetry.trace import TracerProvider


def inbox_prefix(user: str) -> str:
    """Where replies to `user`'s requests arrive. One prefix per user lets NATS permissions keep each
    service's replies (JetStream reads included) away from the others."""
    return f"_INBOX.{user}"


def url_user(url: str) -> str:
    """The user named in a nats://user:password@host URL, or ''."""
    _, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return ""
    return unquote(rest.rsplit("@", 1)[0].partition(":")[0])


def reply_inbox(url: str) -> str:
    """The inbox prefix a connection to `url` uses: its user's own, or NATS's default without one."""
    user = url_user(url)
    return inbox_prefix(user) if user else "_INBOX"


def create_broker(
    url: str, *, name: str, tracer_provider: TracerProvider | None = None, graceful_timeout_s: float = 15.0
) -> NatsBroker:
    return NatsBroker(
        url,
        name=name,
        inbox_prefix=reply_inbox(url),
        middlewares=[NatsTelemetryMiddleware(tracer_provider=tracer_provider)],
        # Keep trying forever: a restarting nats-server must not take services down with it.
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        logger=logging.getLogger(f"somnia.{name}.nats"),
        # On stop, a handler in flight gets this long to finish before its messages are left un-acked.
        graceful_timeout=graceful_timeout_s,
    )


async def close_broker(broker: NatsBroker) -> None:
    """Stop the broker; a connection that is already broken must not fail a shutdown."""
    try:
        await broker.stop()
    except Exception as exc:
        logging.getLogger("somnia.bus").warning("NATS connection closed uncleanly: %r", exc)


def redacted(url: str) -> str:
    """The URL fit for a log: credentials in it (nats://user:password@host) are replaced."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
