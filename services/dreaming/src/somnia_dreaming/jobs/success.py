"""Evaluate pattern success: a Beta posterior per pattern from its sessions' outcomes and the feedback
on its turns' memories, with a lower credible bound, so "worked 3 of 3 times" (lower bound ~0.56 at 90%)
and "worked 300 of 310" (~0.95) are told apart, where their means (0.80 and 0.96) barely differ."""

from __future__ import annotations

from collections.abc import Sequence

from somnia_contracts import memory_id_for
from somnia_graph_store import PatternNode, RecallReader

from somnia_dreaming.settings import SuccessSettings


def posterior(successes: float, failures: float, settings: SuccessSettings) -> tuple[float, float]:
    """The posterior mean and its one-sided lower credible bound."""
    from scipy.stats import beta  # here, not at import: an idle dreaming process need not hold scipy

    a = settings.prior_successes + successes
    b = settings.prior_failures + failures
    return a / (a + b), float(beta.ppf(1.0 - settings.credible_level, a, b))


async def score_patterns(
    graph: RecallReader, patterns: Sequence[PatternNode], settings: SuccessSettings
) -> list[PatternNode]:
    """Add helped/misled feedback to the outcome counts mining took, then score each pattern."""
    scored = []
    for pattern in patterns:
        memory_ids = [memory_id_for(pattern.namespace, t.session_id, t.turn_id, 0) for t in pattern.supporting_turns]
        feedback = await graph.feedback_counts(pattern.namespace, memory_ids) if memory_ids else {}
        successes = pattern.successes + sum(c.helped for c in feedback.values())
        failures = pattern.failures + sum(c.misled for c in feedback.values())
        mean, lower = posterior(successes, failures, settings)
        scored.append(
            pattern.model_copy(
                update={
                    "successes": successes,
                    "failures": failures,
                    "success_mean": round(mean, 4),
                    "success_lower": round(lower, 4),
                }
            )
        )
    return scored
