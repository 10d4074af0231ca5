"""On `session.started`: build the session's warm pack, put it in the KV bucket, announce `cache.warmed`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from somnia_bus import JetStreamPublisher
from somnia_contracts import CACHE_STREAM, CacheWarmed, SessionStarted, Subjects
from somnia_retrieval import UnknownNamespace, WarmPackBuilder, WarmRequest
from somnia_warm_packs import LayerName, WarmPackStore

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
        """Build and store the pack; False when the namespace has nothing to warm with yet (a first
        session), which is not an error."""
        request = WarmRequest(
            namespace=started.namespace,
            session_id=started.session_id,
            agent=started.agent,
            opening=started.opening,
            tools=started.tools,
            budgets=self._budgets,
        )
        try:
            pack = await self._builder.build(request)
        except UnknownNamespace:
            log.info("nothing to warm session %s with: namespace %s is empty", started.session_id, started.namespace)
            return False
        key = await self._packs.put(pack)
        await self._publisher.publish(
            CacheWarmed(
                namespace=pack.namespace,
                session_id=pack.session_id,
                key=key,
                layer_tokens={layer.layer: layer.tokens for layer in pack.layers},
                items=sum(len(layer.items) for layer in pack.layers),
                build_ms=pack.build_ms,
                warmed_at=datetime.now(UTC),
            ),
            subject=Subjects.cache_warmed(pack.namespace, pack.session_id),
            msg_id=f"warmed/{key}/{pack.built_at.isoformat()}",
            stream=CACHE_STREAM.name,
        )
        return True
