"""`python -m somnia_grpc_runtime.probe [HOST:PORT]`: exit 0 when the gRPC health check says SERVING.

For container health checks; the address defaults to $SOMNIA_HEALTH_ADDRESS.
"""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def serving(address: str, timeout_s: float = 2.0, service: str = "") -> bool:
    """Whether the health service `service` ("" is liveness, "readiness" readiness) answers SERVING."""
    try:
        with grpc.insecure_channel(address) as channel:
            request = health_pb2.HealthCheckRequest(service=service)
            reply = health_pb2_grpc.HealthStub(channel).Check(request, timeout=timeout_s)
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def main() -> int:
    address = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SOMNIA_HEALTH_ADDRESS", "")
    if not address:
        print("usage: python -m somnia_grpc_runtime.probe HOST:PORT (or set SOMNIA_HEALTH_ADDRESS)", file=sys.stderr)
        return 2
    return 0 if serving(address) else 1


if __name__ == "__main__":
    sys.exit(main())
