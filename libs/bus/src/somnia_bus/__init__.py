"""NATS JetStream plumbing shared by services: the broker, the streams, publishing with receipts, KV."""

from somnia_bus.broker import close_broker, create_broker
from somnia_bus.kv import key_prefix_subject, open_key_value, purge_subject
from somnia_bus.lag import watch_consumer_lag
from somnia_bus.lookup import last_event
from somnia_bus.publisher import JetStreamPublisher, PublishReceipt
from somnia_bus.redelivery import backoff_s, num_delivered, settle_failed
from somnia_bus.streams import ensure_streams, stream_config

__all__ = [
    "JetStreamPublisher",
    "PublishReceipt",
    "backoff_s",
    "close_broker",
    "create_broker",
    "ensure_streams",
    "key_prefix_subject",
    "last_event",
    "num_delivered",
    "open_key_value",
    "purge_subject",
    "settle_failed",
    "stream_config",
    "watch_consumer_lag",
]
