"""cache-warming: builds a warm pack for every started session and keeps it in NATS KV."""
