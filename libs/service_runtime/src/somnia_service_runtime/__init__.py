"""What every Somnia service process shares: the settings base, the consumer process (broker, durable
consumers, health, metrics, lag), and serve()/run() around the service's `create_app`."""

from somnia_service_runtime.process import ConsumerProcess
from somnia_service_runtime.readiness import ReadinessWatch
from somnia_service_runtime.runtime import AppFactory, ServiceApp, build, run, serve
from somnia_service_runtime.settings import ConsumerSettings, ServiceSettings

__all__ = [
    "AppFactory",
    "ConsumerProcess",
    "ConsumerSettings",
    "ReadinessWatch",
    "ServiceApp",
    "ServiceSettings",
    "build",
    "run",
    "serve",
]
