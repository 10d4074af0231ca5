"""NATS JetStream plumbing shared by services: the broker, the streams, publishing with receipts, KV, and
the one consumer runtime (specs bound to durable consumers, one batch handler)."""

from somnia_bus.broker import close_broker, create_broker, inbox_prefix, redacted, reply_inbox, url_user
from somnia_bus.consumer import (
    BatchConsumer,
    ConsumerSpec,
    Delivery,
    DeliveryOpener,
    Retry,
    ack_deliveries,
    fail_deliveries,
    subscribe_batches,
)
from somnia_bus.kv import erase_subject, key_prefix_subject, latest_values, open_key_value
from somnia_bus.lag import watch_consumer_lag
from somnia_bus.lookup import last_event
from somnia_bus.publisher import JetStreamPublisher, PublishReceipt
from somnia_bus.redelivery import backoff_s, num_delivered, settle_failed
from somnia_bus.streams import ensure_streams, stream_config
from somnia_bus.usage import UsageBoard

__all__ = [
    "BatchConsumer",
    "ConsumerSpec",
    "Delivery",
    "DeliveryOpener",
    "JetStreamPublisher",
    "PublishReceipt",
    "Retry",
    "UsageBoard",
    "ack_deliveries",
    "backoff_s",
    "close_broker",
    "create_broker",
    "ensure_streams",
    "erase_subject",
    "fail_deliveries",
    "inbox_prefix",
    "key_prefix_subject",
    "last_event",
    "latest_values",
    "num_delivered",
    "open_key_value",
    "redacted",
    "reply_inbox",
    "settle_failed",
    "stream_config",
    "subscribe_batches",
    "url_user",
    "watch_consumer_lag",
]
