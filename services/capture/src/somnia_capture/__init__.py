"""capture: the gRPC front door. Validates turns, gives them ids and publishes them to JetStream."""
