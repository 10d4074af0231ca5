"""`python -m somnia_grpc_runtime.probe [--readiness] [HOST:PORT]`: exit 0 when the gRPC health check
says SERVING (liveness; with --readiness, the readiness service: NATS and the stores are reachable).

For container health checks; the address defaults to $SOMNIA_HEALTH_ADDRESS.
"""

from __future__ import annotations

import os
import sys

from somnia_grpc_runtime.health_check import serving


def main() -> int:
    args = sys.argv[1:]
    readiness = "--readiness" in args
    rest = [a for a in args if a != "--readiness"]
    address = rest[0] if rest else os.environ.get("SOMNIA_HEALTH_ADDRESS", "")
    if not address or len(rest) > 1:
        print(
            "usage: python -m somnia_grpc_runtime.probe [--readiness] HOST:PORT (or set SOMNIA_HEALTH_ADDRESS)",
            file=sys.stderr,
        )
        return 2
    return 0 if serving(address, service="readiness" if readiness else "") else 1


if __name__ == "__main__":
    sys.exit(main())
