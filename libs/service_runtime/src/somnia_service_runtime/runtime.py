"""serve() and run() for every service: build the app with its `create_app(settings, tracer_provider)`,
start it, wait for SIGINT or SIGTERM, stop it cleanly."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from opentelemetry.trace import TracerProvider
from somnia_grpc_runtime import wait_for_shutdown_signal
from somnia_telemetry import configure_tracing

from somnia_service_runtime.heap import freeze_after_start
from somnia_service_runtime.settings import ServiceSettings
from somnia_service_runtime.threads import limit_blas_threads

S = TypeVar("S", bound=ServiceSettings)


class ServiceApp(Protocol):
    """A service's process: `start()` connects and serves, `stop()` drains what is in flight and closes."""

    async def start(self) -> Any: ...

    async def stop(self) -> None: ...


AppFactory = Callable[[S, TracerProvider | None], "ServiceApp | Awaitable[ServiceApp]"]


async def build(create_app: AppFactory[S], settings: S, tracer_provider: TracerProvider | None) -> ServiceApp:
    """Call a service's `create_app`, sync or async."""
    app = create_app(settings, tracer_provider)
    return await app if inspect.isawaitable(app) else app


async def serve(name: str, create_app: AppFactory[S], settings: S) -> None:
    """Run one service until a shutdown signal; traces go where OTEL_* says, named `name`."""
    app = await build(create_app, settings, configure_tracing(name))
    await app.start()
    freezing = asyncio.create_task(freeze_after_start(settings.gc_settle_s)) if settings.gc_freeze else None
    try:
        await wait_for_shutdown_signal()
    finally:
        if freezing is not None:
            freezing.cancel()
        await app.stop()


def run(name: str, create_app: AppFactory[S], settings_type: type[S]) -> None:
    """The service's console entry point: settings from the environment, logging, the event loop."""
    settings = settings_type()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger(f"somnia.{name.replace('-', '_')}").setLevel(settings.log_level.upper())
    # The store clients log every HTTP request at INFO (a readiness poll each second): keep warnings only.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    limit_blas_threads(settings.blas_threads)
    asyncio.run(serve(name, create_app, settings))
