"""Reproducible, conversation-like synthetic texts for benchmarks (no data set needed)."""

from __future__ import annotations

import random

NAMES = ["Alice", "Bob", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kiri", "Lena"]
PLACES = ["Lisbon", "Kyoto", "Nairobi", "Oslo", "Lima", "Hanoi", "Austin", "Porto", "Seoul", "Tbilisi"]
THINGS = [
    "a road bike",
    "a sourdough starter",
    "a used piano",
    "a golden retriever",
    "a telescope",
    "a vegetable garden",
    "an electric scooter",
    "a pottery wheel",
    "a chess set",
    "a drone",
]
ACTIVITIES = [
    "hiking",
    "painting",
    "rock climbing",
    "learning Portuguese",
    "baking bread",
    "running trails",
    "birdwatching",
    "playing the cello",
    "woodworking",
    "salsa dancing",
]
WORK = [
    "the deploy pipeline",
    "the billing service",
    "the nightly ETL job",
    "the search index",
    "the mobile release",
    "the Postgres cluster",
    "the onboarding flow",
    "the GPU scheduler",
]
PROBLEMS = [
    "keeps timing out",
    "ran out of disk",
    "leaks memory",
    "returns stale results",
    "is failing tests",
    "needs a schema migration",
    "hit a rate limit",
    "lost its TLS certificate",
]
TEMPLATES = [
    "{name} told me they moved to {place} last {month} and started {activity}.",
    "I finally bought {thing} after thinking about it for {n} weeks.",
    "Yesterday {work} {problem}, so {name} rolled it back at {hour} o'clock.",
    "My plan for the weekend is {activity} near {place} with {name}.",
    "Reminder: {name}'s birthday is on the {n}th and they would love {thing}.",
    "We decided that {work} should be owned by {name} from {month} on.",
    "The doctor said I should try {activity} at least {n} times a week.",
    "{name} recommended a small cafe in {place} that serves great espresso.",
    "Incident note: {work} {problem}; root cause still unknown after {n} hours.",
    "I have been {activity} for {n} years and it still makes me happy.",
]
MONTHS = ["January", "March", "May", "July", "September", "November"]
QUESTIONS = [
    "Where did {name} move to?",
    "What did I buy recently?",
    "Why did {work} fail?",
    "What are my weekend plans?",
    "What does {name} want for their birthday?",
    "Who owns {work}?",
    "What exercise did the doctor suggest?",
    "Which cafe did {name} recommend?",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        name=rng.choice(NAMES),
        place=rng.choice(PLACES),
        thing=rng.choice(THINGS),
        activity=rng.choice(ACTIVITIES),
        work=rng.choice(WORK),
        problem=rng.choice(PROBLEMS),
        month=rng.choice(MONTHS),
        n=rng.randint(2, 30),
        hour=rng.randint(1, 12),
    )


def texts(count: int, seed: int = 7) -> list[str]:
    """`count` distinct-ish sentences, 10-25 words, with a unique tag so no two are identical."""
    rng = random.Random(seed)
    return [f"{_fill(rng.choice(TEMPLATES), rng)} (note {i})" for i in range(count)]


def questions(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [_fill(rng.choice(QUESTIONS), rng) for _ in range(count)]
