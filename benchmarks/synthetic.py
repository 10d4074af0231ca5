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
    # The dialogue slots are drawn only where used, so the older templates read as before.
    extra = {slot: rng.choice(pool) for slot, pool in _DIALOGUE_SLOTS if "{" + slot + "}" in template}
    return template.format(
        **extra,
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


# Two people catching up, the way a long chat between friends reads: a statement about one's life,
# then the other's reply. Distractor sessions for the growth benchmark are made of these (the same two
# speakers as the conversation they are mixed into, so names alone never tell them apart).
FOODS = ["ramen", "tacos", "a lemon tart", "dumplings", "paella", "banana bread", "pho", "a mushroom risotto"]
SHOWS = ["a documentary about octopuses", "an old detective series", "a cooking competition", "a space drama"]
RELATIVES = ["my brother", "my cousin", "my aunt", "my neighbour", "my nephew", "my best friend", "my dad"]
DAYS = ["Monday", "Wednesday", "Friday", "Saturday", "Sunday"]
_DIALOGUE_SLOTS = (("food", FOODS), ("show", SHOWS), ("relative", RELATIVES), ("day", DAYS))
STATEMENTS = [
    "{relative} made {food} for my birthday and it was the best I ever had.",
    "On {day} I watched {show} with {relative} until midnight.",
    "{relative} is training for a half marathon in {place} this {month}.",
    "I lost my keys on {day} and found them in the fridge, no idea how.",
    "We are repainting the living room, {relative} picked a dark green.",
    "I tried to make {food} from scratch, it took {n} hours and mostly worked.",
    "{name} recommended {show}, I am {n} episodes in.",
    "The bus to {place} was cancelled on {day}, I walked for {n} minutes in the rain.",
    "{relative} got a new job at a bakery in {place}.",
    "I am learning to play {thing}... well, learning to play with {thing}.",
    "I started {activity} a few weeks ago and I am hooked.",
    "{name} and I went to {place} for {n} days, the food was amazing.",
    "Work has been busy, {work} {problem} twice this week.",
    "I finally bought {thing}, it took me {n} weeks to decide.",
    "My sister is visiting from {place} next {month}.",
    "I volunteered at the community garden on Saturday with {name}.",
    "We adopted {thing} from a neighbour, the kids love it.",
    "I signed up for a {activity} class on Tuesday evenings.",
    "{name} from work invited me to a concert in {place}.",
    "I have been reading a novel about a lighthouse keeper, it is slow but lovely.",
    "My car broke down on the way to {place}, so I took the train.",
    "I am thinking about moving closer to {place} for the schools.",
    "The weather here turned cold, I spent the weekend {activity} indoors.",
    "I cooked a big dinner for {n} friends on Friday, mostly vegetarian.",
    "My doctor told me to sleep more, so I stopped checking email after {hour}.",
    "I got a promotion, I will lead {work} from {month}.",
    "{name} taught me how to fix {thing}, it was easier than I thought.",
    "We watched the meteor shower from the hill behind {place}.",
    "I am saving up for a trip to {place} in {month}.",
    "My grandmother turned {n}0 last week, the whole family came.",
]
REPLIES = [
    "No way! What did {relative} say about it?",
    "I had {food} in {place} once, still dream about it.",
    "That reminds me of {show}, have you seen it?",
    "Let's do that together on {day}, I am free after {hour}.",
    "That sounds wonderful, tell me more about it!",
    "Wow, I did not know that. How did it go?",
    "I love that for you. Did {name} enjoy it too?",
    "Oh no, I hope it gets better soon.",
    "That is so exciting, {place} is on my list too.",
    "Nice! I tried {activity} once and loved it.",
    "Haha, that is so you. Send me pictures!",
    "Good for you, that takes real courage.",
    "I remember you mentioning that, glad it worked out.",
    "Sounds like a lot, make sure you rest this weekend.",
]


def dialogue(speakers: tuple[str, str], turns: int, rng: random.Random) -> list[str]:
    """`turns` lines "<speaker>: <text>", the two speakers taking turns (statement, reply, ...)."""
    lines = []
    for n in range(turns):
        opener = (n // 2) % 2  # who opens the exchange alternates
        speaker = speakers[opener] if n % 2 == 0 else speakers[1 - opener]
        pool = STATEMENTS if n % 2 == 0 else REPLIES
        lines.append(f"{speaker}: {_fill(rng.choice(pool), rng)}")
    return lines
