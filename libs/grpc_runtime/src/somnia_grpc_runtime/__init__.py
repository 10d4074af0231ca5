"""What every Somnia gRPC server has: health, reflection, tracing, graceful shutdown."""

from somnia_grpc_runtime.health_check import serving
from somnia_grpc_runtime.server import READINESS, GrpcServer, ServiceBinding
from somnia_grpc_runtime.signals import wait_for_shutdown_signal

__all__ = ["READINESS", "GrpcServer", "ServiceBinding", "serving", "wait_for_shutdown_signal"]
