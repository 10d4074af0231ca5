"""On `session.started`: build the session's warm pack, put it in the KV bucket, announce `cache.warmed`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from somnia_bus import JetStreamPublisher
from somnia_contracts import CacheWarmed, SessionStarted
from somnia_retrieval import UnknownNamespace, WarmPackBuilder, WarmRequest, get_or_build
from somnia_warm_packs import LayerName, WarmPackStore, pack_key

log = logging.getLogger("somnia.cache_warming")


class SessionWarmer:
    def __init__(
        self,
        builder: WarmPackBuilder,
        packs: WarmPackStore,
        publisher: JetStreamPublisher,
        budgets: dict[LayerName, int],
    ) -> None:
        self._builder = builder
        self._packs = packs
        self._publisher = publisher
        self._budgets = budgets

    async def warm(self, started: SessionStarted) -> bool:
        """Build and store the pack (a redelivered start finds it stored); False when the namespace has
        nothing to warm with yet (a first session), which is not an error."""
        request = WarmRequest(
            namespace=started.namespace,
            session_id=started.session_id,
            agent=started.agent,
            opening=started.opening,
            tools=started.tools,
            budgets=self._budgets,
        )
        try:
            pack, _ = await get_or_build(self._builder, self._packs, request)
        except UnknownNamespace:
            log.info("nothing to warm session %s with: namespace %s is empty", started.session_id, started.namespace)
            return False
        key = pack_key(pack.namespace, pack.session_id)
        await self._publisher.publish_event(
            CacheWarmed(
                namespace=pack.namespace,
                session_id=pack.session_id,
                key=key,
                layer_tokens={layer.layer: layer.tokens for layer in pack.layers},
                items=sum(len(layer.items) for layer in pack.layers),
                build_ms=pack.build_ms,
                warmed_at=datetime.now(UTC),
            ),
        )
        return True
