"""The `somnia` command: run Somnia on one machine, capture, import and recall from a terminal."""

import os

# `somnia up` probes its services over gRPC and restarts them as child processes; grpcio's fork handlers
# can abort such a child before it execs while channels are live (grpc/grpc#43055).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
