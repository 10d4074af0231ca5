"""NATS JetStream plumbing shared by services: the broker, the streams, publishing with receipts."""

from somnia_bus.broker import close_broker, create_broker
from somnia_bus.publisher import JetStreamPublisher, PublishReceipt
from somnia_bus.streams import ensure_streams, stream_config

__all__ = [
    "JetStreamPublisher",
    "PublishReceipt",
    "close_broker",
    "create_broker",
    "ensure_streams",
    "stream_config",
]
