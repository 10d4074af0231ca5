"""Synthetic conversation histories for benchmarking negative knowledge in Somnia's long-term memory.

Real users rarely issue clean "delete" commands: they retract things in passing, state facts that silently depend on
other facts, announce plans that only apply once something happens, update the same attribute several times and ask
about the wrong person. Each generated ``History`` hides a few of those patterns between neutral small talk and ships
``Probe`` objects that say which memories must (not) come back.

Two phrasing splits exist. ``DEV_PHRASINGS`` is what detection code may be tuned on; ``TEST_PHRASINGS`` (held out, at
the very end of this file) words the same patterns differently so a benchmark run on ``split="test"`` measures
generalisation rather than string matching. Objects, fillers and plain facts are shared between splits on purpose:
only the pattern wording differs.

Standard library only; deterministic for a given ``(count, split, seed)``.
"""

from __future__ import annotations

import itertools
import random
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

__all__ = [
    "DEV_PHRASINGS",
    "DOMAINS",
    "PROBE_KINDS",
    "History",
    "Phrasings",
    "Probe",
    "Session",
    "Turn",
    "format_history",
    "generate",
    "validate",
]

# ---------------------------------------------------------------------------------------------------------------------
# Public data model
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One utterance; ``occurred_at`` is the conversation's own clock so recency logic can be tested."""

    role: str  # "user" or "assistant"
    speaker: str  # display name, e.g. "Dana" for the user, "Assistant" for the assistant
    text: str
    occurred_at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class Session:
    """A contiguous chat; sessions are days or weeks apart so cross-session retractions are exercised."""

    session_id: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Probe:
    """A question plus lowercase substrings that identify the memories a correct retrieval must (not) surface.

    A memory "is" X when its lowercased text contains X's substring. Every substring identifies exactly one turn of
    its history. For ``wrong_person`` probes ``stale`` holds the decoy: the fact that belongs to another person and
    must not be returned as if it answered the question.
    """

    kind: str  # "retraction" | "dependency" | "replacement" | "timeline" | "wrong_person" | "answerable"
    question: str
    stale: tuple[str, ...] = ()  # must NOT come back unflagged (retracted facts, dependents of a changed fact)
    change: tuple[str, ...] = ()  # must be in the top 5 (the retraction turn, the upstream change, the trigger)
    expected: tuple[str, ...] = ()  # must be in the top 5 (the activated plan); for timeline: values in time order
    hops: int = 1  # dependency chain length for dependency probes (1, 2 or 3)


@dataclass(frozen=True)
class History:
    """One user's multi-session conversation plus the probes that grade retrieval over it."""

    name: str  # short unique id, [a-z0-9-], used as the last namespace part
    domain: str  # "personal" or "project"
    user: str  # the user's name
    sessions: tuple[Session, ...]
    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class Phrasings:
    """One split's wording of every pattern; dev and test never share a template.

    Placeholders: retract_topic {topic}; retract_stop {activity} {Activity} {Be} {be} {Have} {have} {Subj} {subj} {obj};
    dependency {dep} {Dep} {reason} {cond}; conditional {trig} {Trig} {plan} {Plan} {old}; change {change} {Change};
    timeline_* {state} {State} {move} {Move}; questions use the scenario's slots ({a}, {p}).
    Retraction templates mark the substring that identifies the retraction turn with [square brackets].
    """

    retract_topic: tuple[str, ...]
    retract_anaphoric: tuple[str, ...]
    retract_stop: tuple[str, ...]
    dependency: tuple[str, ...]
    conditional: tuple[str, ...]
    change: tuple[str, ...]
    timeline_first: tuple[str, ...]
    timeline_update: tuple[str, ...]
    question_prefix: tuple[str, ...]
    questions: Mapping[str, tuple[str, ...]]


PROBE_KINDS: tuple[str, ...] = ("retraction", "dependency", "replacement", "timeline", "wrong_person", "answerable")
DOMAINS: tuple[str, ...] = ("personal", "project")
_SCENARIO_KINDS: tuple[str, ...] = ("retraction", "dependency", "replacement", "timeline", "people")
_PATTERN_FIELDS: tuple[str, ...] = (
    "retract_topic",
    "retract_anaphoric",
    "retract_stop",
    "dependency",
    "conditional",
    "change",
    "timeline_first",
    "timeline_update",
    "question_prefix",
)
_MIN_PHRASINGS = 8
_MAX_ATTEMPTS = 200

# ---------------------------------------------------------------------------------------------------------------------
# Object pools (shared by both splits): large so that memorising values is useless
# ---------------------------------------------------------------------------------------------------------------------

_NAMES_F: tuple[str, ...] = (
    "Maya", "Priya", "Leila", "Ingrid", "Anika", "Sofia", "Hannah", "Beatriz", "Yasmin", "Noor", "Amara", "Chiara",
    "Freya", "Ayesha", "Zofia", "Greta", "Elif", "Imogen", "Saoirse", "Nadira", "Lucia", "Astrid", "Mirela",
    "Fatima", "Ottilie", "Keira", "Thandiwe", "Marisol", "Dana", "Esther",
)  # fmt: skip
_NAMES_M: tuple[str, ...] = (
    "Tomas", "Jonah", "Marcus", "Rafael", "Owen", "Dmitri", "Kenji", "Callum", "Felix", "Gideon", "Lukas", "Idris",
    "Mateo", "Niall", "Emeka", "Rohan", "Bastian", "Tariq", "Joaquin", "Oskar", "Harvey", "Kwame", "Declan",
    "Aurelio", "Henrik", "Viktor", "Anselm", "Ruben", "Jasper", "Cormac",
)  # fmt: skip

POOLS: Mapping[str, tuple[str, ...]] = {
    "name_f": _NAMES_F,
    "name_m": _NAMES_M,
    "name": (*_NAMES_F, *_NAMES_M),
    "surname": (
        "Okafor", "Lindqvist", "Brennan", "Castellano", "Whitfield", "Adebayo", "Morcombe", "Haldane", "Petrakis",
        "Iyer", "Fairbairn", "Kowalczyk", "Achterberg", "Quinlan", "Sorensen", "Mbatha",
    ),
    "gym": (
        "Ironworks", "Forge Athletic", "Anvil House", "Granite", "Pulse Studio", "Redline", "Harbour Lift",
        "Oakwood Leisure", "Steelyard", "Kinetic Hall", "Basecamp", "Ember Fitness", "Bluewater Athletic",
        "Northside Strength",
    ),
    "street": (
        "Harbour Street", "Mill Road", "Quarry Lane", "Elm Terrace", "Wexford Avenue", "Castle Row", "Tanner's Walk",
        "Larkspur Close", "Gorse Hill Road", "Victoria Parade", "Sutton Crescent", "Birchfield Way", "Copper Lane",
        "Marlowe Street", "Aldgate Rise", "Fennel Grove",
    ),
    "gym_slot": (
        "Thursday morning", "Sunday afternoon", "Monday evening", "Wednesday lunchtime", "Friday evening",
        "Saturday morning",
    ),
    "city": (
        "Porto", "Lisbon", "Berlin", "Leeds", "Bristol", "Glasgow", "Utrecht", "Gdansk", "Valencia", "Montreal",
        "Dublin", "Tallinn", "Bologna", "Ghent", "Krakow", "Seville", "Aarhus", "Lyon", "Nantes", "Edinburgh",
        "Cardiff", "Turin", "Ljubljana", "Bergen", "Toulouse", "Rotterdam", "Brno", "Galway", "Malmo", "Freiburg",
    ),
    "commute_mode": ("tram", "ferry", "coach", "shuttle bus", "river bus"),
    "stop": (
        "Carlton Square", "Eastgate", "Riverside Halt", "Cathedral Quarter", "Union Point", "Westbrook Interchange",
        "Market Cross", "Kingfisher Quay", "Old Mill Stop",
    ),
    "duration": ("thirty-five minutes", "forty minutes", "fifty minutes", "twenty-five minutes", "fifty-five minutes"),
    "practice": (
        "the Elmwood practice", "Riverside Surgery", "the Linden Medical Centre", "Parkview Health Centre",
        "the Hollins practice", "Brookside Surgery",
    ),
    "complaint": (
        "my ankle", "the rash on my arm", "my lower back", "the migraines", "my shoulder", "an ear infection",
    ),
    "choir": (
        "Riverside Chorale", "Northgate Singers", "Lantern Choir", "Harbourside Harmony", "Canal Chorus",
        "Bellweather Singers",
    ),
    "venue": (
        "St Aidan's hall", "the Corn Exchange", "the Quaker meeting house", "the old library hall",
        "Holy Trinity church hall", "the arts centre",
    ),
    "piece": ("the Faure Requiem", "Zadok the Priest", "a Bach motet", "Allegri's Miserere", "a Rutter medley"),
    "five_team": (
        "Dockside Rovers", "Real Ale Madrid", "Inter Mediate", "Borussia Teeth", "Nottingham Florist",
        "Tinpot Athletic",
    ),
    "pitch": (
        "the Meadowbank cages", "the leisure centre astro", "the Powerleague by the ring road",
        "the university pitches", "the Saltmarsh courts",
    ),
    "score": ("seven-two", "four-one", "five-three", "six-nil", "three-two"),
    "car": (
        "Kia Niro", "Skoda Octavia", "Toyota Corolla", "Ford Focus", "VW Passat", "Peugeot 308", "Hyundai Ioniq",
        "Tesla Model 3", "Renault Megane", "Mazda CX-5", "Volvo XC40", "Honda Jazz", "Nissan Leaf", "Fiat 500",
    ),
    "carpark": (
        "the Kingsgate car park", "the Wharf multi-storey", "the Brunswick car park", "the Station Yard car park",
        "the Civic Centre garage", "the Bishopsgate multi-storey",
    ),
    "car_service": ("new tyres", "a new battery", "new brake pads", "an oil change", "a new wing mirror"),
    "pet": (
        "Biscuit", "Marmalade", "Juniper", "Pepper", "Noodle", "Mochi", "Turnip", "Clementine", "Waffles", "Bramble",
        "Pickle", "Custard",
    ),
    "cat_breed": ("tabby", "Siamese", "Maine Coon", "Bengal", "tortoiseshell", "British Shorthair"),
    "cat_mischief": ("a mug", "my glasses", "a plant pot", "the TV remote", "a candle"),
    "language": ("Portuguese", "Japanese", "Italian", "Dutch", "Korean", "Polish", "Greek", "Turkish"),
    "lang_school": (
        "the Linguaplex school", "the community college", "the Babel Hub", "a night school in town",
        "the Polyglot Institute",
    ),
    "homework": ("a short essay", "forty verbs", "a listening exercise", "a diary entry", "a podcast summary"),
    "dog_breed": ("whippet", "beagle", "border collie", "dachshund", "spaniel", "labrador"),
    "college": (
        "Westfield College", "Kingsmoor College", "Ashdown College", "Northbridge College", "Riverbank Institute",
        "St Olave's College",
    ),
    "company": (
        "Halden Logistics", "Brightwave", "Corvid Analytics", "Pellham & Co", "Tidewater Insurance", "Quillstone",
        "Marrow Foods", "Ostara Health", "Kestrel Media", "Lumen Grid", "Bramwell Engineering", "Saltire Bank",
    ),
    "alarm": ("5:45", "6:10", "5:50", "6:05", "5:30"),
    "db": (
        "Postgres", "MySQL", "MongoDB", "Cassandra", "DynamoDB", "CockroachDB", "MariaDB", "Oracle", "SQL Server",
        "ClickHouse",
    ),
    "export_job": ("night-owl", "nightjar", "moonshot-dump", "ledger-sync", "cold-copy", "tidepool"),
    "bucket": ("cold-archive-eu", "snapshots-prod", "vault-dumps", "ledger-backups", "tape-mirror", "deep-freeze-01"),
    "dashboard": ("Revenue Daily", "Ops Morning Report", "Churn Watch", "Funnel Overview", "Finance Pulse"),
    "team": (
        "payments", "platform", "search", "growth", "billing", "identity", "mobile", "infra", "checkout",
        "notifications", "fraud", "data",
    ),
    "pager": ("ops phone", "red pager", "batphone", "incident pager", "duty phone"),
    "vault": ("break-glass", "prod-secrets", "emergency-access", "root-creds", "payments-keys"),
    "region": ("eu-west-1", "us-east-2", "ap-southeast-1", "eu-central-1", "us-west-2", "eu-north-1"),
    "chart": ("skiff-charts", "tiller-pack", "keelson", "bosun-charts", "mainsail", "halyard"),
    "paas": (
        "Cloud Run", "App Runner", "Heroku", "Render.com", "Fly.io", "Railway", "Azure Container Apps",
        "Google App Engine",
    ),
    "host": (
        "Heroku", "Fly.io", "Render.com", "Railway", "DigitalOcean", "Hetzner", "Linode", "our own k8s cluster",
        "Nomad", "Vercel",
    ),
    "pyver": ("3.7", "3.8", "3.9"),
    "pyver_new": ("3.11", "3.12", "3.13"),
    "pylib": ("pydantic", "SQLAlchemy", "celery", "pandas", "boto3", "numpy", "Django", "httpx"),
    "patch": ("utf8-fix", "tz-hotfix", "retry-shim", "pool-leak-fix", "ssl-backport"),
    "migtool": ("Flyway", "Liquibase", "Sqitch", "Alembic", "dbmate", "Goose"),
    "ci": (
        "Jenkins", "GitHub Actions", "GitLab CI", "CircleCI", "Buildkite", "TeamCity", "Drone CI", "Travis CI",
        "Azure Pipelines", "Bamboo",
    ),
    "runner": ("m5.xlarge", "c6i.2xlarge", "arm64 Graviton", "self-hosted Mac mini", "spot-instance", "bare-metal"),
    "build_time": ("eleven minutes", "nineteen minutes", "twenty-three minutes", "thirty-one minutes"),
    "db_host": ("pg-main-01", "db-east-2", "orders-rds", "the blue cluster", "db-prod-3", "the green replica set"),
    "conn_count": ("four hundred", "nine hundred", "twelve hundred", "seven hundred", "fifteen hundred"),
    "version": ("v2.4", "v3.1", "v1.9", "v4.0", "v5.2", "v2.7"),
    "ship_date": ("March 14th", "the 22nd of May", "June 3rd", "the 9th of September", "October 17th", "November 28th"),
    "qa_when": ("next Thursday", "at the end of the week", "mid-month", "the Monday after", "early next week"),
    "oncall_service": (
        "the checkout API", "the search cluster", "the billing workers", "the mobile gateway", "the auth service",
        "the ingest pipeline",
    ),
    "oncall_incident": ("the disk alerts", "a cert expiry", "the queue backlog", "a noisy health check", "a DNS blip"),
    "monitoring": ("Datadog", "Grafana", "New Relic", "Prometheus", "Honeycomb", "Sentry", "Dynatrace"),
    "dash_folder": (
        "the ops folder", "team-sre", "the prod-health space", "the platform board", "the reliability space",
    ),
    "incident": ("a memory leak", "a slow query", "a 502 spike", "a full disk", "a stuck cron job"),
    "state_lib": ("Redux", "MobX", "Zustand", "Recoil", "Jotai", "XState", "Pinia", "NgRx", "Valtio"),
    "lib_version": ("version 4.2", "version 3.9", "version 5.0", "version 2.1", "version 1.8"),
    "quirk": ("selectors", "devtools", "persistence", "middleware", "hydration"),
    "staging_fix": ("a restart", "more memory", "a cache flush", "a bigger disk", "a config reload"),
    "swim_pool": ("Hollybrook", "Kelvin Hall", "Marshgate", "Tollcross", "Portobello", "Govanhill"),
    "fitness_app": ("FitOn", "Peloton", "Freeletics", "Nike Training Club", "Apple Fitness", "Les Mills"),
    "car_club": ("Zipcar", "Co Wheels", "Enterprise Car Club", "Ubeeqo", "Getaround"),
    "cdn": ("Cloudflare", "Fastly", "Akamai", "CloudFront", "Bunny CDN"),
    "handover": ("07:00 UTC", "08:30 UTC", "10:00 UTC", "noon UTC", "06:00 UTC"),
    "log_service": (
        "Datadog", "Splunk", "Loggly", "Papertrail", "Elastic Cloud", "Grafana Loki", "Sumo Logic", "New Relic",
    ),
    "phone": ("Pixel 7", "Pixel 8", "Galaxy S22", "Fairphone 4", "Nothing Phone", "Moto G84", "Galaxy A54"),
    "sport": ("padel", "squash", "badminton", "bouldering", "kayaking", "fencing", "table tennis", "water polo"),
    "tracker": ("Jira", "Linear", "YouTrack", "Shortcut", "GitHub Issues", "Asana", "Trello", "Redmine"),
    "queue": ("Kafka", "RabbitMQ", "SQS", "NATS", "Pulsar", "Redis Streams", "Kinesis"),
    "subject": ("chemistry", "geography", "Spanish", "physics", "Latin", "biology", "economics", "drama"),
    "job": (
        "a paramedic", "an architect", "a solicitor", "a sound engineer", "a pharmacist", "an airline pilot",
        "an electrician", "a veterinary nurse",
    ),
    "field": ("linguistics", "architecture", "nursing", "civil engineering", "philosophy", "criminology"),
    "instrument": ("cello", "trombone", "bass guitar", "clarinet", "banjo", "double bass", "viola", "accordion"),
    "allergen": ("peanuts", "shellfish", "kiwi fruit", "sesame", "penicillin", "bee stings"),
    "club": ("Hibernian", "Everton", "Aston Villa", "Motherwell", "Brentford", "Celtic", "Leyton Orient", "Wrexham"),
    "component": (
        "deploy pipeline", "billing service", "auth gateway", "search indexer", "feature-flag service",
        "notification worker", "image resizer", "rate limiter",
    ),
    "fork": ("OpenSSL", "libvips", "Airflow", "nginx", "Mosquitto", "ImageMagick"),
    "runbook": (
        "database failover", "certificate rotation", "disk pressure alerts", "DNS cutovers", "region evacuation",
        "cache warm-up",
    ),
    "signoff": ("schema", "firewall", "IAM policy", "pricing config", "data-retention"),
}  # fmt: skip

_RELATIONS: tuple[str, ...] = (
    "sister", "brother", "friend", "cousin", "neighbour", "flatmate", "old schoolmate", "colleague",
)  # fmt: skip
_PROJECT_INTROS: tuple[str, ...] = ("{p} from the {team} team", "{p} on the {team} team", "our {role} {p}")
_ROLES: tuple[str, ...] = ("tech lead", "staff engineer", "SRE", "product manager", "QA lead", "data engineer")

# ---------------------------------------------------------------------------------------------------------------------
# Filler small talk and assistant replies (shared); must stay free of retraction/dependency cue words
# ---------------------------------------------------------------------------------------------------------------------

FILLERS: Mapping[str, tuple[str, ...]] = {
    "personal": (
        "The weather has been pretty grey this week.",
        "I finally finished that crime novel I was reading.",
        "Made a big pot of soup last night, it lasted for days.",
        "My neighbour's garden looks amazing at the moment.",
        "I watched a documentary about octopuses yesterday.",
        "Traffic was awful this morning.",
        "I tried a new coffee place near the market.",
        "The kids next door were practising the recorder all evening.",
        "I need to sort out my wardrobe at some point.",
        "Had a lovely walk by the river at the weekend.",
        "I burnt the toast again this morning.",
        "There's a new bakery opening down the road.",
        "My houseplants are finally looking healthy.",
        "I spent most of the evening answering emails.",
        "The train was surprisingly quiet today.",
        "I'm thinking about repainting the hallway.",
        "We had a power cut for an hour last night.",
        "I found an old photo album in a box in the loft.",
        "The supermarket had run out of oat milk again.",
        "I've been sleeping better this week.",
        "A neighbour put a lovely note through my door.",
        "I'm halfway through a thousand-piece puzzle.",
        "The local library has a book sale on.",
        "I tried baking sourdough and it came out dense.",
        "It rained all through my lunch break.",
        "I've started a podcast about old shipwrecks.",
        "My mum sent me a recipe for lentil stew.",
        "The leaves are turning already.",
        "I reorganised the kitchen cupboards.",
        "I saw a really good band play last week.",
        "Got a parcel today that I don't remember ordering.",
        "My hands were freezing on the way home.",
    ),
    "project": (
        "The standup ran long today.",
        "The code review queue is pretty long this week.",
        "I spent the morning tidying up old tickets.",
        "The office coffee machine is broken again.",
        "We had a nice demo at the end of the sprint.",
        "I'm writing up notes from the retro.",
        "Lots of meetings on my calendar today.",
        "The linter caught a bunch of small things in my branch.",
        "I paired with a new joiner this afternoon, it went well.",
        "Our planning session was fairly smooth.",
        "I finally cleaned up my local branches.",
        "The onboarding wiki page needs some love.",
        "My laptop fan has been loud all day.",
        "We're doing a team lunch at the end of the month.",
        "I read an interesting post about API design.",
        "The flaky test from last week is behaving today.",
        "I renamed a few variables that were bugging me.",
        "Spent an hour in a design doc discussion.",
        "The quarterly goals are being drafted.",
        "I'm reviewing a pull request with lots of comments.",
        "Half the team is away at a conference.",
        "I wrote a small script to rename screenshots.",
        "The new monitor on my desk is great.",
        "We've got a hackathon coming up next month.",
        "Our sprint board looks tidy this week.",
        "I spent an hour untangling a merge conflict.",
        "Someone brought cake into the office.",
        "The product folks shared some nice user feedback.",
        "I'm blocking out focus time on my calendar.",
        "Our team channel has been quiet today.",
        "I drew a diagram of the request flow on the whiteboard.",
    ),
    "general": (
        "Busy day so far.",
        "I had a long lunch today.",
        "It's been one of those weeks.",
        "I'm on my second coffee already.",
        "Feeling pretty tired this afternoon.",
        "Looking forward to the weekend.",
        "Just got back from a walk.",
        "It's been a productive morning.",
        "I'm trying to keep today low-key.",
        "The afternoon is dragging a bit.",
        "I've got a stack of errands to run later.",
        "My desk is a mess at the moment.",
    ),
}
OPENERS: tuple[str, ...] = (
    "Hi.", "Hey there.", "Hello!", "Hello again.", "Hi again.", "Hi, quick chat?", "Hey, me again.", "Hey.",
)  # fmt: skip
OPENER_REPLIES: tuple[str, ...] = (
    "Hi! What's on your mind?", "Hello! Go ahead.", "Hey, good to hear from you.", "Hi there.", "Hello, I'm listening.",
)  # fmt: skip
ACKS: tuple[str, ...] = (
    "Noted.", "Got it, thanks for telling me.", "Okay, noted.", "Understood.", "Thanks, got it.", "Alright.",
    "Thanks for letting me know.", "Got it.", "Okay.", "Noted, thanks.", "Understood, thanks.", "Right, got it.",
)  # fmt: skip
SMALLTALK_REPLIES: tuple[str, ...] = (
    "Sounds like quite a day.", "Ha, fair enough.", "I see.", "Thanks for sharing.", "Mm, understandable.",
    "Interesting.", "Ah, I see.", "Fair enough.", "That sounds nice.", "Ha, I can imagine.", "Oh, right.",
    "Makes sense.",
)  # fmt: skip

# Words that would make a filler look like negative knowledge; fillers must never contain them.
_CUE_WORDS_RE = re.compile(
    r"\b(because|only|as long as|never mind|instead|if|once|wrong|anymore|any more|since|while|unless|until|forget|"
    r"ignore|strike|scratch|drop|outdated|stopped|quit|moved|switched|changed|left|no longer|provided|assuming|"
    r"in case|should|disregard|delete)\b",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------------------------------------
# Scenario content catalogs (shared): plain facts; the negative-knowledge wording comes from the split's Phrasings
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Topic:
    """A retractable fact naming {a} and {b}; restatements name {a} and {c} so each turn keeps its own key."""

    name: str  # also the question id
    domain: str
    tags: frozenset[str]
    topic: str  # noun phrase for "strike what I said about {topic}"
    slots: Mapping[str, str]  # placeholder -> pool
    facts: tuple[str, ...]
    restatements: tuple[str, ...]
    activity: str | None  # gerund phrase for "I'm not {activity} any more", or None when that reads badly


@dataclass(frozen=True)
class _Link:
    """One dependent in a chain: a clause, why it holds, the condition it needs, and its identifying key."""

    dep: str
    reason: str
    cond: str
    key: str  # formatted with the slots, then lowercased
    question: str


@dataclass(frozen=True)
class _Chain:
    """An upstream fact with up to three dependents, each resting on the previous one."""

    name: str
    domain: str
    tags: frozenset[str]
    slots: Mapping[str, str]
    upstream: tuple[str, ...]
    links: tuple[_Link, ...]
    change: str  # past-tense clause: the upstream no longer holds


@dataclass(frozen=True)
class _Plan:
    """A conditional replacement: {plan} replaces {old} once {trig} happens."""

    name: str
    domain: str
    tags: frozenset[str]
    slots: Mapping[str, str]
    trig: str
    trig_past: str
    plan: str
    old: str
    question: str


@dataclass(frozen=True)
class _Track:
    """An attribute that takes several values over time."""

    name: str  # also the question id
    domain: str
    tags: frozenset[str]
    pool: str
    state: str  # "{v}" marks the value
    move: str


@dataclass(frozen=True)
class _Trait:
    """A person attribute; traits of one group are never split across people so wrong-person probes stay clean."""

    name: str  # also the question id
    domain: str
    group: str
    pool: str
    fact: str  # {Intro} and {v}


def _tags(*items: str) -> frozenset[str]:
    return frozenset(items)


_TOPICS: tuple[_Topic, ...] = (
    _Topic(
        "gym", "personal", _tags("exercise"), "the gym", {"a": "gym", "b": "street", "c": "gym_slot"},
        ("I go to the {a} gym on {b}.", "I'm a member at {a}, the gym on {b}.",
         "I train at {a} over on {b} a few times a week."),
        ("I was at {a} again for my usual {c} session.", "{a} was busy on {c} as usual."),
        "going to {a}",
    ),
    _Topic(
        "commute", "personal", _tags("commute"), "my commute", {"a": "commute_mode", "b": "stop", "c": "duration"},
        ("I commute by {a} and get off at {b}.", "I get to work on the {a}, my stop is {b}."),
        ("The {a} took {c} this morning, which is normal for me.", "Another {c} on the {a} today."),
        "commuting by {a}",
    ),
    _Topic(
        "doctor", "personal", _tags("doctor"), "my GP", {"a": "surname", "b": "practice", "c": "complaint"},
        ("My GP is Dr {a} at {b}.", "I'm registered with Dr {a} at {b}."),
        ("Saw Dr {a} again about {c}.", "Had another appointment with Dr {a} about {c}."),
        "seeing Dr {a}",
    ),
    _Topic(
        "choir", "personal", _tags("hobby"), "the choir", {"a": "choir", "b": "venue", "c": "piece"},
        ("I sing with the {a}; we rehearse at {b}.", "I joined the {a}, and rehearsals are at {b}."),
        ("Choir practice with the {a} again, we're working on {c}.", "The {a} are learning {c} for the next concert."),
        "singing with the {a}",
    ),
    _Topic(
        "football", "personal", _tags("sport"), "five-a-side", {"a": "five_team", "b": "pitch", "c": "score"},
        ("I play five-a-side with {a} at {b}.", "Every week I play five-a-side for {a}, down at {b}."),
        ("Another game with {a}, we lost {c}.", "{a} lost {c} again."),
        "playing five-a-side with {a}",
    ),
    _Topic(
        "car", "personal", _tags("car"), "my car", {"a": "car", "b": "carpark", "c": "car_service"},
        ("I drive a {a} and keep it at {b}.", "My car is a {a}; I park it at {b}."),
        ("The {a} needed {c} last week.", "Took the {a} in for {c}."),
        "driving the {a}",
    ),
    _Topic(
        "cat", "personal", _tags("pet"), "the cat", {"a": "pet", "b": "cat_breed", "c": "cat_mischief"},
        ("I have a {b} cat called {a}.", "My cat {a} is a {b}."),
        ("{a} knocked {c} off the shelf again.", "{a} managed to break {c} today."),
        "looking after {a}",
    ),
    _Topic(
        "language", "personal", _tags("learning"), "my language classes",
        {"a": "language", "b": "lang_school", "c": "homework"},
        ("I'm taking {a} lessons at {b}.", "I've signed up for {a} classes at {b}."),
        ("My {a} homework this week is {c}.", "For {a} class I have to do {c}."),
        "taking {a} lessons",
    ),
    _Topic(
        "ci", "project", _tags("ci"), "the CI setup", {"a": "ci", "b": "runner", "c": "build_time"},
        ("Our CI runs on {a} with {b} runners.", "We build everything in {a}, on {b} runners."),
        ("{a} builds are taking about {c} this week.", "A full {a} run is around {c} at the moment."),
        "running CI on {a}",
    ),
    _Topic(
        "orders_db", "project", _tags("database"), "the orders database",
        {"a": "db", "b": "db_host", "c": "conn_count"},
        ("The orders service keeps its data in {a} on {b}.", "Orders are stored in {a}, on {b}."),
        ("{a} peaked at {c} connections during the sale.", "Saw {c} open connections on {a} last night."),
        "keeping the orders data in {a}",
    ),
    _Topic(
        "release", "project", _tags("release"), "the release date", {"a": "version", "b": "ship_date", "c": "qa_when"},
        ("We're shipping {a} on {b}.", "The release date for {a} is {b}."),
        ("{a} is on track, QA sign-off is due {c}.", "Same date for {a}; QA wraps up {c}."),
        None,
    ),
    _Topic(
        "oncall", "project", _tags("oncall"), "the on-call rota",
        {"a": "name", "b": "oncall_service", "c": "oncall_incident"},
        ("{a} is on call this rotation, covering {b}.", "This rotation {a} holds the pager for {b}."),
        ("{a} got paged about {c} last night.", "{a} had to deal with {c} overnight."),
        None,
    ),
    _Topic(
        "monitoring", "project", _tags("monitoring"), "monitoring",
        {"a": "monitoring", "b": "dash_folder", "c": "incident"},
        ("We use {a} for monitoring, with the dashboards under {b}.",
         "Monitoring is in {a}; the dashboards live in {b}."),
        ("{a} caught {c} today.", "Got an alert from {a} about {c}."),
        "using {a} for monitoring",
    ),
    _Topic(
        "state_lib", "project", _tags("frontend"), "the frontend state library",
        {"a": "state_lib", "b": "lib_version", "c": "quirk"},
        ("The frontend uses {a} for state management, pinned at {b}.", "We manage frontend state with {a}, {b}."),
        ("Ran into a {a} quirk with {c} again.", "Spent an hour on {a} {c} today."),
        "using {a} in the frontend",
    ),
    _Topic(
        "staging_host", "project", _tags("staging"), "staging", {"a": "host", "b": "region", "c": "staging_fix"},
        ("Staging lives on {a} in {b}.", "Our staging environment is on {a}, region {b}."),
        ("Staging on {a} needed {c} again.", "Had to give staging on {a} {c} today."),
        "hosting staging on {a}",
    ),
)  # fmt: skip

_CHAINS: tuple[_Chain, ...] = (
    _Chain(
        "flat_gym", "personal", _tags("home", "exercise"),
        {"street": "street", "gym": "gym", "trainer": "name", "city": "city"},
        ("My flat is on {street}.", "I rent a flat on {street}."),
        (
            _Link("I go to the {gym} gym", "it's a five-minute walk from my flat", "I'm living on {street}",
                  "{gym}", "gym"),
            _Link("I book sessions with a personal trainer called {trainer}",
                  "the sessions come free with my gym membership", "I have that gym membership", "{trainer}",
                  "trainer"),
            _Link("I'm on a high-protein meal plan", "my trainer put me on it", "I'm doing the trainer sessions",
                  "high-protein meal plan", "meal_plan"),
        ),
        "I moved to a flat in {city}",
    ),
    _Chain(
        "job_car", "personal", _tags("employer", "car", "commute"),
        {"company": "company", "car": "car", "carpark": "carpark", "alarm": "alarm"},
        ("I work at {company}.", "My job is at {company}."),
        (
            _Link("I drive a {car} as my company car", "the job at {company} comes with one",
                  "I'm working at {company}", "{car}", "company_car"),
            _Link("I pay for a parking permit at {carpark}", "I drive the company car in every day",
                  "I've got the company car", "{carpark}", "permit"),
            _Link("I set my alarm for {alarm}", "the permit spaces fill up early", "I'm parking with that permit",
                  "{alarm}", "alarm_time"),
        ),
        "I left my job at {company}",
    ),
    _Chain(
        "dog", "personal", _tags("pet"),
        {"breed": "dog_breed", "pet": "pet", "walker": "name"},
        ("I've got a {breed} called {pet}.", "We have a dog, a {breed} called {pet}."),
        (
            _Link("I pay {walker} to walk the dog at lunchtime", "{pet} can't be left alone all day", "I have {pet}",
                  "{walker}", "dog_walker"),
            _Link("the dog walker has a spare key to my flat", "the walker needs to get in to collect the dog",
                  "someone is collecting the dog at lunchtime", "spare key", "spare_key"),
            _Link("I leave the burglar alarm off on weekdays", "the walker would set it off letting themselves in",
                  "someone is letting themselves in at lunch", "burglar alarm off", "burglar_alarm"),
        ),
        "{pet} went to live with my parents on their farm",
    ),
    _Chain(
        "course", "personal", _tags("learning", "schedule"),
        {"college": "college"},
        ("I'm doing a part-time course at {college}.", "I enrolled on a part-time course at {college}."),
        (
            _Link("I work a compressed week with Fridays off", "my lectures at {college} are on Fridays",
                  "I'm enrolled at {college}", "compressed week", "work_pattern"),
            _Link("I do the weekly shop on Friday mornings", "I'm off work on Fridays", "I have Fridays free",
                  "weekly shop", "weekly_shop"),
        ),
        "I finished the course at {college}",
    ),
    _Chain(
        "db_export", "project", _tags("database", "analytics"),
        {"db": "db", "job": "export_job", "bucket": "bucket", "dash": "dashboard"},
        ("Our main database is {db}.", "Everything important lives in {db}."),
        (
            _Link("we run the {job} export every night", "we can't stream changes out of {db}", "we're on {db}",
                  "{job}", "export_job"),
            _Link("the {bucket} bucket keeps thirty days of snapshots", "the nightly export writes into it",
                  "that nightly export is running", "{bucket}", "snapshot_bucket"),
            _Link("the {dash} dashboard refreshes at six every morning", "it reads from the snapshot bucket",
                  "snapshots keep landing in that bucket", "{dash}", "snapshot_dashboard"),
        ),
        "we finished migrating off {db}",
    ),
    _Chain(
        "team_shift", "project", _tags("team", "oncall"),
        {"team": "team", "pager": "pager", "vault": "vault"},
        ("I'm on the {team} team.", "I joined the {team} team."),
        (
            _Link("I keep the early shift", "the {team} team covers the European mornings",
                  "I'm on the {team} team", "early shift", "shift"),
            _Link("I carry the {pager} on Monday mornings", "whoever starts first handles the morning pages",
                  "I'm the first one in", "{pager}", "pager"),
            _Link("I have access to the {vault} vault", "whoever handles the morning pages needs those credentials",
                  "I'm handling the morning pages", "{vault}", "vault"),
        ),
        "I left the {team} team",
    ),
    _Chain(
        "k8s", "project", _tags("deploy"),
        {"region": "region", "chart": "chart", "reviewer": "name", "paas": "paas"},
        ("Production runs on Kubernetes in {region}.", "Our production cluster is Kubernetes, in {region}."),
        (
            _Link("we maintain the {chart} Helm charts", "production runs on Kubernetes",
                  "we're deploying to Kubernetes", "{chart}", "charts"),
            _Link("{reviewer} reviews every chart change", "those Helm charts need a second pair of eyes",
                  "we're maintaining those charts", "{reviewer}", "chart_reviewer"),
            _Link("we keep a Thursday slot for chart reviews", "the reviewer needs protected time for them",
                  "there are chart changes to review", "thursday slot", "chart_slot"),
        ),
        "we moved production off Kubernetes onto {paas}",
    ),
    _Chain(
        "python_pin", "project", _tags("python"),
        {"pyver": "pyver", "lib": "pylib", "patch": "patch", "pyver2": "pyver_new"},
        ("Our services run on Python {pyver}.", "We're still on Python {pyver} across the services."),
        (
            _Link("we pin {lib} to an old release", "newer {lib} releases need a newer Python",
                  "we're stuck on Python {pyver}", "{lib}", "pinned_lib"),
            _Link("we carry the {patch} patch in our repo", "the pinned release never got that bug fixed",
                  "we're on that pinned release", "{patch}", "carried_patch"),
        ),
        "we upgraded everything to Python {pyver2}",
    ),
)  # fmt: skip

_PLANS: tuple[_Plan, ...] = (
    _Plan("job_train", "personal", _tags("commute", "employer"), {},
          "I change jobs", "I changed jobs", "I'll take the train to work", "driving in", "commute_now"),
    _Plan("lease", "personal", _tags("home"), {"sister": "name_f"},
          "the lease on my flat ends", "the lease on my flat ended", "I'll move in with my sister {sister}",
          "renting on my own", "home_now"),
    _Plan("knee", "personal", _tags("exercise"), {"pool": "swim_pool"},
          "my knee flares up again", "my knee flared up again", "I'll do laps at the {pool} pool", "running",
          "exercise_now"),
    _Plan("gym_prices", "personal", _tags("exercise"), {"app": "fitness_app"},
          "the gym puts its prices up again", "the gym put its prices up again",
          "I'll work out at home with the {app} app", "the gym", "workout_now"),
    _Plan("promotion", "personal", _tags("hobby", "employer"), {},
          "I get the team lead role", "I got the team lead role", "I'll move my pottery class to Sunday mornings",
          "the Thursday evening class", "pottery_now"),
    _Plan("mot", "personal", _tags("car"), {"club": "car_club"},
          "my car fails its MOT", "my car failed its MOT", "I'll join the {club} car club", "owning a car",
          "car_now"),
    _Plan("db_switch", "project", _tags("database"), {"db": "db", "tool": "migtool"},
          "we switch to {db}", "we switched to {db}", "we'll use {tool} for migrations",
          "the hand-written migration scripts", "migrations_now"),
    _Plan("ci_contract", "project", _tags("ci"), {"ci": "ci", "ci2": "ci"},
          "the {ci} contract runs out", "the {ci} contract ran out", "we'll run builds on {ci2}", "{ci}",
          "builds_now"),
    _Plan("leave", "project", _tags("release"), {"owner": "name", "owner2": "name"},
          "{owner} goes on parental leave", "{owner} went on parental leave",
          "{owner2} will own the release process", "{owner}", "release_owner_now"),
    _Plan("traffic", "project", _tags("edge"), {"cdn": "cdn"},
          "traffic passes ten thousand requests a second", "traffic passed ten thousand requests a second",
          "we'll put {cdn} in front of the API", "serving the API directly", "api_edge_now"),
    _Plan("eu_region", "project", _tags("oncall"), {"time": "handover"},
          "the EU region goes live", "the EU region went live", "we'll move the on-call handover to {time}",
          "the evening handover", "handover_now"),
    _Plan("log_budget", "project", _tags("logging", "monitoring"), {"log": "log_service", "log2": "log_service"},
          "our {log} bill goes over budget", "our {log} bill went over budget", "we'll ship logs to {log2}",
          "{log}", "logs_now"),
)  # fmt: skip

_TRACKS: tuple[_Track, ...] = (
    _Track("tl_city", "personal", _tags("home"), "city", "I live in {v}", "I moved to {v}"),
    _Track("tl_employer", "personal", _tags("employer"), "company", "I work at {v}", "I started a new job at {v}"),
    _Track("tl_phone", "personal", _tags("phone"), "phone", "my phone is a {v}", "I got a {v}"),
    _Track("tl_sport", "personal", _tags("sport", "exercise"), "sport", "my main sport is {v}", "I took up {v}"),
    _Track("tl_car", "personal", _tags("car"), "car", "I drive a {v}", "I bought a {v}"),
    _Track("tl_staging", "project", _tags("staging", "deploy"), "host", "staging runs on {v}",
           "we moved staging to {v}"),
    _Track("tl_ci", "project", _tags("ci"), "ci", "our CI runs on {v}", "we migrated CI to {v}"),
    _Track("tl_tracker", "project", _tags("tracker"), "tracker", "we track issues in {v}",
           "we moved our issue tracking to {v}"),
    _Track("tl_lead", "project", _tags("team"), "name", "{v} leads our team", "{v} took over as team lead"),
    _Track("tl_queue", "project", _tags("events"), "queue", "our events go through {v}",
           "we moved our event bus to {v}"),
)  # fmt: skip

_TRAITS: tuple[_Trait, ...] = (
    _Trait("teaches", "personal", "occupation", "subject", "{Intro} teaches {v}."),
    _Trait("job", "personal", "occupation", "job", "{Intro} works as {v}."),
    _Trait("studies", "personal", "occupation", "field", "{Intro} is studying {v} at university."),
    _Trait("instrument", "personal", "instrument", "instrument", "{Intro} plays the {v} in a local band."),
    _Trait("allergy", "personal", "allergy", "allergen", "{Intro} is allergic to {v}."),
    _Trait("football_club", "personal", "football", "club", "{Intro} supports {v}."),
    _Trait("dog", "personal", "dog", "pet", "{Intro} has a dog called {v}."),
    _Trait("owns", "project", "ownership", "component", "{Intro} owns the {v}."),
    _Trait("oncall_lead", "project", "ownership", "oncall_service", "{Intro} is the on-call lead for {v}."),
    _Trait("fork", "project", "fork", "fork", "{Intro} maintains our fork of {v}."),
    _Trait("runbook", "project", "runbook", "runbook", "{Intro} wrote the runbook for {v}."),
    _Trait("office", "project", "office", "city", "{Intro} works out of the {v} office."),
    _Trait("signoff", "project", "signoff", "signoff", "{Intro} signs off on all {v} changes."),
)

# ---------------------------------------------------------------------------------------------------------------------
# DEV PHRASINGS: the only wording detection code may be developed against
# ---------------------------------------------------------------------------------------------------------------------

DEV_PHRASINGS = Phrasings(
    retract_topic=(
        "[Strike what I said about {topic}].",
        "[Never mind the part about {topic}].",
        "[Scratch what I told you about {topic}], it doesn't apply.",
        "Please [forget what I said about {topic}].",
        "[What I told you about {topic} is outdated now].",
        "[I was wrong about {topic}], please disregard it.",
        "[Ignore what I mentioned about {topic}]; it's not true.",
        "[Delete what I said earlier about {topic}].",
        "[Don't keep the bit about {topic}], it no longer holds.",
    ),
    retract_anaphoric=(
        "Actually, [don't keep that].",
        "[Forget I said that].",
        "Wait, [scratch that].",
        "[Never mind, ignore that last bit].",
        "Hmm, no, [disregard that].",
        "Sorry, [strike that one].",
        "Actually [delete that, it's not right].",
        "Oops, [that's wrong, forget it].",
        "No wait, [don't save that].",
    ),
    retract_stop=(
        "[{Be} not {activity} any more].",
        "[{Have} stopped {activity}].",
        "[No more {activity} for {obj}].",
        "[{Have} given up {activity}].",
        "Just so you know, [{have} stopped {activity}].",
        "[{Be} done with {activity}].",
        "[{Subj} quit {activity}] a while ago, so that's no longer true.",
        "[{Have} not been {activity} for a while], that's finished.",
        "[{Activity} is over for {obj}].",
    ),
    dependency=(
        "{Dep} only because {reason}.",
        "As long as {cond}, {dep}.",
        "{Dep}, but only while {cond}.",
        "The only reason {dep} is that {reason}.",
        "{Dep} because {reason}.",
        "{Dep} for as long as {cond}.",
        "{Dep}, and that only holds while {cond}.",
        "{Dep}, and that's just because {reason}.",
        "{Dep} since {reason}; otherwise there'd be no point.",
    ),
    conditional=(
        "If {trig}, {plan} instead of {old}.",
        "Once {trig}, {plan}.",
        "The plan is: if {trig}, {plan}.",
        "When {trig}, {plan} rather than {old}.",
        "In case {trig}, {plan}.",
        "Backup plan for when {trig}: {plan}.",
        "If {trig} at some point, the fallback is that {plan}.",
        "If {trig}, then {plan}.",
        "Assuming {trig} eventually, {plan} instead of {old}.",
    ),
    change=(
        "{Change} last week.",
        "Quick update: {change}.",
        "So, {change} on Monday.",
        "News from my end: {change}.",
        "{Change} a few days ago.",
        "Just so you know, {change}.",
        "{Change} recently.",
        "FYI, {change} yesterday.",
        "{Change} at the start of the month.",
    ),
    timeline_first=(
        "{State}.",
        "For context, {state}.",
        "At the moment {state}.",
        "Right now, {state}.",
        "Background for you: {state}.",
        "Currently {state}.",
        "{State}, for the record.",
        "Worth knowing: {state}.",
    ),
    timeline_update=(
        "{Move} last month.",
        "Now {state}.",
        "Update: {state} these days.",
        "{Move} in the spring.",
        "These days {state}.",
        "{Move} a few weeks ago.",
        "As of this month, {state}.",
        "{Move}, so that's the new setup.",
        "Things changed: {state} now.",
    ),
    question_prefix=(
        "",
        "Quick one: ",
        "Remind me, ",
        "Hey, ",
        "Question for you: ",
        "One thing I need to confirm: ",
        "From what I've told you, ",
        "Just checking: ",
        "Can you check something? ",
    ),
    questions={
        # retraction topics
        "gym": ("Which gym do I go to?", "What gym am I a member of?"),
        "commute": ("How do I get to work?", "What's my commute like?"),
        "doctor": ("Who's my GP?", "Which doctor am I registered with?"),
        "choir": ("Which choir do I sing with?", "What choir am I in?"),
        "football": ("Which five-a-side team do I play for?", "Who do I play five-a-side with?"),
        "car": ("What car do I drive?", "What do I drive?"),
        "cat": ("What's my cat called?", "What's the name of my cat?"),
        "language": ("What language am I learning?", "Which language lessons am I taking?"),
        "ci": ("Which CI system do we use?", "What does our CI run on?"),
        "orders_db": ("Which database does the orders service use?", "Where does the orders service keep its data?"),
        "release": ("When are we shipping {a}?", "What's the ship date for {a}?"),
        "oncall": ("Who's on call this rotation?", "Who is covering on-call right now?"),
        "monitoring": ("What do we use for monitoring?", "Which monitoring tool are we on?"),
        "state_lib": ("What does the frontend use for state management?", "Which state library is the frontend on?"),
        "staging_host": ("Where does staging live?", "What is staging hosted on?"),
        # dependency chains (the asked link)
        "trainer": ("Who's my personal trainer?", "Which trainer do I book sessions with?"),
        "meal_plan": ("What kind of meal plan am I on?", "Am I following any meal plan?"),
        "company_car": ("What car do I drive for work?", "Do I have a company car?"),
        "permit": ("Where do I have a parking permit?", "Which car park is my permit for?"),
        "alarm_time": ("What time do I set my alarm for?", "When does my alarm go off?"),
        "dog_walker": ("Who walks my dog?", "Who takes the dog out at lunchtime?"),
        "spare_key": ("Who has a spare key to my flat?", "Does anyone have a spare key to my place?"),
        "burglar_alarm": ("Do I leave the burglar alarm off on weekdays?",
                          "What do I do with the burglar alarm during the week?"),
        "work_pattern": ("What's my working pattern?", "Do I work a compressed week?"),
        "weekly_shop": ("When do I do my weekly shop?", "What day do I do the big grocery shop?"),
        "export_job": ("Which export job runs every night?", "What nightly export do we run?"),
        "snapshot_bucket": ("Which bucket keeps our database snapshots?", "Where do the nightly snapshots go?"),
        "snapshot_dashboard": ("Which dashboard refreshes from the snapshots?",
                               "What dashboard updates every morning from the snapshot bucket?"),
        "shift": ("Which shift do I work?", "Am I on the early shift?"),
        "pager": ("What do I carry on Monday mornings?", "Am I the one carrying the pager on Mondays?"),
        "vault": ("Which vault do I have access to?", "What credentials vault can I read?"),
        "charts": ("Which Helm charts do we maintain?", "What charts do we look after?"),
        "chart_reviewer": ("Who reviews our chart changes?", "Who signs off on Helm chart changes?"),
        "chart_slot": ("When do we do chart reviews?", "Do we still have a weekly slot for chart reviews?"),
        "pinned_lib": ("Which library do we pin to an old release?", "What dependency is pinned back?"),
        "carried_patch": ("Which patch do we carry in our repo?", "What patch are we maintaining in the repo?"),
        # conditional replacements
        "commute_now": ("How do I get to work now?", "What's my commute these days?"),
        "home_now": ("Where am I living now?", "Who do I live with these days?"),
        "exercise_now": ("What do I do for exercise now?", "How am I keeping fit these days?"),
        "workout_now": ("Where do I work out now?", "How do I work out these days?"),
        "pottery_now": ("When is my pottery class now?", "Which day do I do pottery these days?"),
        "car_now": ("What do I do for a car these days?", "How do I get a car when I need one now?"),
        "migrations_now": ("What do we use for database migrations now?", "How do we run migrations these days?"),
        "builds_now": ("Where do our builds run now?", "What runs our builds these days?"),
        "release_owner_now": ("Who owns the release process now?", "Who runs releases these days?"),
        "api_edge_now": ("What sits in front of the API now?", "Is anything in front of the API these days?"),
        "handover_now": ("When is the on-call handover now?", "What time do we hand over on-call these days?"),
        "logs_now": ("Where do our logs go now?", "Which logging service do we ship to these days?"),
        # timelines
        "tl_city": ("Where have I lived, in order?", "Which cities have I lived in, oldest first?"),
        "tl_employer": ("Which companies have I worked for, in order?", "Where have I worked, from first to latest?"),
        "tl_phone": ("What phones have I had, in order?", "Which phones have I used, oldest first?"),
        "tl_sport": ("Which sports have I done, in order?", "What has my main sport been over time, in order?"),
        "tl_car": ("What cars have I driven, in order?", "Which cars have I had, oldest first?"),
        "tl_staging": ("Where has staging been hosted, in order?", "What has staging run on over time, in order?"),
        "tl_ci": ("Which CI systems have we used, in order?", "What has our CI run on over time, oldest first?"),
        "tl_tracker": ("Which issue trackers have we used, in order?",
                       "Where have we tracked issues over time, in order?"),
        "tl_lead": ("Who has led our team, in order?", "Which people have been our team lead, oldest first?"),
        "tl_queue": ("What have our events gone through, in order?", "Which message buses have we used, oldest first?"),
        # people
        "teaches": ("What does {p} teach?", "Which subject does {p} teach?"),
        "job": ("What does {p} do for work?", "What is {p}'s job?"),
        "studies": ("What is {p} studying?", "Which subject is {p} studying at university?"),
        "instrument": ("What instrument does {p} play?", "Which instrument does {p} play in the band?"),
        "allergy": ("What is {p} allergic to?", "Which allergy does {p} have?"),
        "football_club": ("Which football team does {p} support?", "Who does {p} support in football?"),
        "dog": ("What is {p}'s dog called?", "What's the name of {p}'s dog?"),
        "owns": ("What does {p} own?", "Which component does {p} own?"),
        "oncall_lead": ("Which service is {p} on-call lead for?", "What is {p} the on-call lead for?"),
        "fork": ("Which fork does {p} maintain?", "What fork is {p} responsible for?"),
        "runbook": ("Which runbook did {p} write?", "What did {p} write the runbook for?"),
        "office": ("Which office does {p} work out of?", "Where is {p}'s office?"),
        "signoff": ("Which changes does {p} sign off on?", "What kind of changes does {p} approve?"),
    },
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------------
# Generation machinery
# ---------------------------------------------------------------------------------------------------------------------


_Content = TypeVar("_Content", "_Topic", "_Chain", "_Plan", "_Track")


class _RetryError(ValueError):
    """Raised when a draw produced an ambiguous history; the generator retries deterministically."""


_ARTICLE_RE = re.compile(r"^(the|a|an|our|my)\s+", re.IGNORECASE)
_KEY_RE = re.compile(r"\[([^\[\]]+)\]")
_LOWERABLE_FIRST = frozenset(
    {"What", "Which", "Where", "Who", "How", "When", "Do", "Does", "Did", "Am", "Is", "Are", "Has", "Have", "Can",
     "My", "Our", "List", "Run", "Walk", "Trace", "Any", "Remind", "Tell"}
)  # fmt: skip
_PRONOUNS: Mapping[str, Mapping[str, str]] = {
    "personal": {"Subj": "I", "subj": "I", "Be": "I'm", "be": "I'm", "Have": "I've", "have": "I've", "obj": "me"},
    "project": {"Subj": "We", "subj": "we", "Be": "We're", "be": "we're", "Have": "We've", "have": "we've",
                "obj": "us"},
}  # fmt: skip


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fmt(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(dict(values))


def _value_key(value: str) -> str:
    """Lowercase identifying substring for an object; leading articles dropped so paraphrases still match."""
    return _ARTICLE_RE.sub("", value.strip()).lower()


def _render_keyed(template: str, values: Mapping[str, str]) -> tuple[str, str]:
    """Fill a template whose [bracketed] part is the substring that identifies the resulting turn."""
    filled = _fmt(template, values)
    match = _KEY_RE.search(filled)
    if match is None:
        raise ValueError(f"template has no [key]: {template!r}")
    text = filled.replace("[", "").replace("]", "")
    return _cap(text), match.group(1).lower()


class _Picker:
    """Draws templates without replacement per named pool so one history never repeats a wording (refills later)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._left: dict[str, list[str]] = {}

    def pick(self, name: str, options: Sequence[str]) -> str:
        left = self._left.get(name)
        if not left:
            left = list(options)
            self._rng.shuffle(left)
            self._left[name] = left
        return left.pop()


class _Objects:
    """Draws objects so no value repeats, or contains another, within one history (keeps substrings unique)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: list[str] = []

    def draw(self, pool: str) -> str:
        options = [v for v in POOLS[pool] if not self._clashes(v)]
        if not options:
            raise _RetryError(f"pool {pool!r} exhausted")
        value = self._rng.choice(options)
        self._used.append(value.lower())
        return value

    def fill(self, slots: Mapping[str, str]) -> dict[str, str]:
        return {placeholder: self.draw(pool) for placeholder, pool in slots.items()}

    def _clashes(self, value: str) -> bool:
        low = value.lower()
        return any(low in used or used in low for used in self._used)


@dataclass(eq=False)
class _Beat:
    """A user fact turn before placement; ``mode`` constrains its session relative to the scenario's previous beat."""

    text: str
    mode: str  # "start" | "glue" (next user turn) | "same" (same or later session) | "later" (strictly later)


@dataclass
class _Scenario:
    beats: list[_Beat]
    probes: list[Probe]
    expects: list[tuple[str, _Beat]] = field(default_factory=list)


class _Ctx:
    """Per-history state: randomness, the split's phrasings, drawn objects and claimed topic tags."""

    def __init__(self, rng: random.Random, phrasings: Phrasings, domain: str) -> None:
        self.rng = rng
        self.ph = phrasings
        self.domain = domain
        self.picker = _Picker(rng)
        self.objs = _Objects(rng)
        self.tags: set[str] = set()

    def choose(self, catalog: Sequence[_Content]) -> _Content:
        options = [c for c in catalog if c.domain == self.domain and not (c.tags & self.tags)]
        if not options:
            raise _RetryError("no free content")
        item = self.rng.choice(options)
        self.tags |= item.tags
        return item

    def pattern(self, name: str) -> str:
        options: tuple[str, ...] = getattr(self.ph, name)
        return self.picker.pick(name, options)

    def question(self, qid: str, values: Mapping[str, str]) -> str:
        base = _fmt(self.picker.pick("q:" + qid, self.ph.questions[qid]), values)
        prefix = self.pattern("question_prefix")
        if not prefix:
            return base
        first = re.match(r"[A-Za-z]+", base)
        if not prefix.rstrip().endswith("?") and first is not None and first.group(0) in _LOWERABLE_FIRST:
            base = base[:1].lower() + base[1:]
        return prefix + base


def _build_retraction(ctx: _Ctx) -> _Scenario:
    topic = ctx.choose(_TOPICS)
    slots = ctx.objs.fill(topic.slots)
    fact = _Beat(_cap(_fmt(ctx.picker.pick("fact:" + topic.name, topic.facts), slots)), "start")
    beats = [fact]
    restated = ctx.rng.random() < 0.35
    style_roll = ctx.rng.random()
    by_activity = topic.activity is not None and style_roll > 0.65
    # The fact is keyed by its main object unless a restatement or an "I've stopped <object>" turn also names it.
    stale = [_value_key(slots["b"] if restated or by_activity else slots["a"])]
    expects: list[tuple[str, _Beat]] = [(stale[0], fact)]
    if restated:
        again = _Beat(_cap(_fmt(ctx.rng.choice(topic.restatements), slots)), "later")
        beats.append(again)
        stale.append(_value_key(slots["c"]))
        expects.append((stale[1], again))
    if not restated and style_roll < 0.3:
        text, key = _render_keyed(ctx.pattern("retract_anaphoric"), {})
        mode = "glue"
    else:
        if by_activity:
            activity = _fmt(topic.activity, slots)
            values = {**_PRONOUNS[ctx.domain], "activity": activity, "Activity": _cap(activity)}
            text, key = _render_keyed(ctx.pattern("retract_stop"), values)
        else:
            text, key = _render_keyed(ctx.pattern("retract_topic"), {"topic": topic.topic})
        mode = "later" if restated or ctx.rng.random() < 0.75 else "same"
    retraction = _Beat(text, mode)
    beats.append(retraction)
    expects.append((key, retraction))
    probe = Probe("retraction", ctx.question(topic.name, slots), stale=tuple(stale), change=(key,))
    return _Scenario(beats, [probe], expects)


def _change_beat(ctx: _Ctx, clause: str) -> _Beat:
    return _Beat(_fmt(ctx.pattern("change"), {"change": clause, "Change": _cap(clause)}), "later")


def _build_dependency(ctx: _Ctx) -> _Scenario:
    chain = ctx.choose(_CHAINS)
    slots = ctx.objs.fill(chain.slots)
    hops = ctx.rng.choices(range(1, len(chain.links) + 1), weights=(1.0, 1.2, 1.6)[: len(chain.links)])[0]
    beats = [_Beat(_fmt(ctx.picker.pick("up:" + chain.name, chain.upstream), slots), "start")]
    expects: list[tuple[str, _Beat]] = []
    stale: list[str] = []
    for link in chain.links[:hops]:
        dep = _fmt(link.dep, slots)
        values = {"dep": dep, "Dep": _cap(dep), "reason": _fmt(link.reason, slots), "cond": _fmt(link.cond, slots)}
        beat = _Beat(_cap(_fmt(ctx.pattern("dependency"), values)), "same")
        key = _value_key(_fmt(link.key, slots))
        beats.append(beat)
        stale.append(key)
        expects.append((key, beat))
    clause = _fmt(chain.change, slots)
    change = _change_beat(ctx, clause)
    beats.append(change)
    expects.append((clause.lower(), change))
    question = ctx.question(chain.links[hops - 1].question, slots)
    probe = Probe("dependency", question, stale=tuple(stale), change=(clause.lower(),), hops=hops)
    return _Scenario(beats, [probe], expects)


def _build_replacement(ctx: _Ctx) -> _Scenario:
    plan = ctx.choose(_PLANS)
    slots = ctx.objs.fill(plan.slots)
    trig, action, old = _fmt(plan.trig, slots), _fmt(plan.plan, slots), _fmt(plan.old, slots)
    values = {"trig": trig, "Trig": _cap(trig), "plan": action, "Plan": _cap(action), "old": old}
    plan_beat = _Beat(_cap(_fmt(ctx.pattern("conditional"), values)), "start")
    clause = _fmt(plan.trig_past, slots)
    trigger = _change_beat(ctx, clause)
    expects = [(action.lower(), plan_beat), (clause.lower(), trigger)]
    probe = Probe(
        "replacement", ctx.question(plan.question, slots), change=(clause.lower(),), expected=(action.lower(),)
    )
    return _Scenario([plan_beat, trigger], [probe], expects)


def _build_timeline(ctx: _Ctx) -> _Scenario:
    track = ctx.choose(_TRACKS)
    values = [ctx.objs.draw(track.pool) for _ in range(ctx.rng.randint(3, 4))]
    beats: list[_Beat] = []
    expects: list[tuple[str, _Beat]] = []
    for i, value in enumerate(values):
        state, move = track.state.format(v=value), track.move.format(v=value)
        clauses = {"state": state, "State": _cap(state), "move": move, "Move": _cap(move)}
        template = ctx.pattern("timeline_first" if i == 0 else "timeline_update")
        beat = _Beat(_cap(_fmt(template, clauses)), "start" if i == 0 else "later")
        beats.append(beat)
        expects.append((_value_key(value), beat))
    keys = tuple(key for key, _ in expects)
    probe = Probe("timeline", ctx.question(track.name, {}), expected=keys)
    return _Scenario(beats, [probe], expects)


def _build_people(ctx: _Ctx) -> _Scenario:
    if "people" in ctx.tags:
        raise _RetryError("one people scenario per history")
    ctx.tags.add("people")
    traits = [t for t in _TRAITS if t.domain == ctx.domain]
    groups = sorted({t.group for t in traits})
    count = ctx.rng.randint(2, 3)
    chosen = [ctx.rng.choice([t for t in traits if t.group == g]) for g in ctx.rng.sample(groups, count)]
    people: list[tuple[str, _Trait, str]] = []  # (name, trait, key)
    beats: list[_Beat] = []
    expects: list[tuple[str, _Beat]] = []
    for i, trait in enumerate(chosen):
        if ctx.domain == "personal":
            relation = ctx.picker.pick("relation", _RELATIONS)
            name = ctx.objs.draw({"sister": "name_f", "brother": "name_m"}.get(relation, "name"))
            intro = f"my {relation} {name}"
        else:
            name = ctx.objs.draw("name")
            template = ctx.picker.pick("intro", _PROJECT_INTROS)
            team = ctx.objs.draw("team") if "{team}" in template else ""
            intro = template.format(p=name, team=team, role=ctx.picker.pick("role", _ROLES))
        value = ctx.objs.draw(trait.pool)
        beat = _Beat(_fmt(trait.fact, {"Intro": _cap(intro), "v": value}), "start" if i == 0 else "same")
        key = _value_key(value)
        beats.append(beat)
        expects.append((key, beat))
        people.append((name, trait, key))
    owner, asked = ctx.rng.sample(people, 2)
    wrong = Probe("wrong_person", ctx.question(owner[1].name, {"p": asked[0]}), stale=(owner[2],))
    real = ctx.rng.choice(people)
    answerable = Probe("answerable", ctx.question(real[1].name, {"p": real[0]}), expected=(real[2],))
    return _Scenario(beats, [wrong, answerable], expects)


_BUILDERS: Mapping[str, Callable[[_Ctx], _Scenario]] = {
    "retraction": _build_retraction,
    "dependency": _build_dependency,
    "replacement": _build_replacement,
    "timeline": _build_timeline,
    "people": _build_people,
}


def _blocks(beats: Iterable[_Beat]) -> list[list[_Beat]]:
    blocks: list[list[_Beat]] = []
    for beat in beats:
        if beat.mode == "glue":
            blocks[-1].append(beat)
        else:
            blocks.append([beat])
    return blocks


def _place(rng: random.Random, scenarios: Sequence[_Scenario], n_sessions: int) -> list[list[list[list[_Beat]]]]:
    """Assign each scenario's blocks to sessions honouring start/same/later; returns session -> scenario -> blocks."""
    plan: list[list[list[list[_Beat]]]] = [[[] for _ in scenarios] for _ in range(n_sessions)]
    for si, scenario in enumerate(scenarios):
        blocks = _blocks(scenario.beats)
        prev = -1
        for i, block in enumerate(blocks):
            mode = block[0].mode
            later_after = sum(1 for b in blocks[i + 1 :] if b[0].mode == "later")
            hi = n_sessions - 1 - later_after
            lo = 0 if prev < 0 else prev + 1 if mode == "later" else prev
            if lo > hi:
                raise _RetryError("not enough sessions")
            session = prev if mode == "same" and rng.random() < 0.5 else rng.randint(lo, hi)
            plan[session][si].append(block)
            prev = session
    return plan


def _session_starts(rng: random.Random, n_sessions: int) -> list[datetime]:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 300))
    span = rng.randint(150, 200)
    weights = [rng.random() + 0.3 for _ in range(n_sessions - 1)]
    gaps = [max(2, round(span * w / sum(weights))) for w in weights]
    days = [0]
    for gap in gaps:
        days.append(days[-1] + gap)
    return [start + timedelta(days=d, hours=rng.randint(7, 21), minutes=rng.randint(0, 59)) for d in days]


class _SessionWriter:
    """Appends turns a minute or two apart so every session reads like one sitting."""

    def __init__(self, ctx: _Ctx, user: str, start: datetime, fillers: Sequence[str]) -> None:
        self._ctx = ctx
        self._user = user
        self._clock = start
        self._fillers = fillers
        self.turns: list[Turn] = []

    def say(self, role: str, text: str) -> None:
        self.turns.append(Turn(role, self._user if role == "user" else "Assistant", text, self._clock))
        self._clock += timedelta(seconds=self._ctx.rng.randint(25, 150))

    def small_talk(self, pairs: int) -> None:
        for _ in range(pairs):
            self.say("user", self._ctx.picker.pick("filler", self._fillers))
            self.say("assistant", self._ctx.picker.pick("reply", SMALLTALK_REPLIES))


def _build_history(rng: random.Random, phrasings: Phrasings, name: str) -> History:
    domain = rng.choice(DOMAINS)
    ctx = _Ctx(rng, phrasings, domain)
    user = ctx.objs.draw("name")
    kinds = rng.sample(_SCENARIO_KINDS, rng.randint(2, 4))
    if len(kinds) < 4 and rng.random() < 0.25:
        kinds.append(rng.choice(("retraction", "dependency")))
    scenarios = [_BUILDERS[kind](ctx) for kind in kinds]
    n_sessions = rng.randint(4, 8)
    plan = _place(rng, scenarios, n_sessions)
    fillers = (*FILLERS[domain], *FILLERS["general"])

    sessions: list[Session] = []
    all_turns: list[Turn] = []
    where: dict[int, int] = {}
    for index, start in enumerate(_session_starts(rng, n_sessions)):
        writer = _SessionWriter(ctx, user, start, fillers)
        writer.say("user", ctx.picker.pick("opener", OPENERS))
        writer.say("assistant", ctx.picker.pick("opener_reply", OPENER_REPLIES))
        queues = [list(blocks) for blocks in plan[index]]
        order: list[list[_Beat]] = []
        while any(queues):
            si = rng.choice([i for i, q in enumerate(queues) if q])
            order.append(queues[si].pop(0))
        if not order:
            writer.small_talk(rng.randint(2, 4))
        for bi, block in enumerate(order):
            writer.small_talk(rng.randint(0, 1) if bi == 0 else rng.randint(1, 3))
            for beat in block:
                where[id(beat)] = len(all_turns) + len(writer.turns)
                writer.say("user", beat.text)
                writer.say("assistant", ctx.picker.pick("ack", ACKS))
        writer.small_talk(rng.randint(0, 2))
        sessions.append(Session(f"{name}-s{index + 1}", tuple(writer.turns)))
        all_turns.extend(writer.turns)

    lowered = [t.text.lower() for t in all_turns]
    for scenario in scenarios:
        for key, beat in scenario.expects:
            hits = [i for i, text in enumerate(lowered) if key in text]
            if hits != [where[id(beat)]]:
                raise _RetryError(f"substring {key!r} matches turns {hits}, wanted {where[id(beat)]}")
    probes = tuple(p for scenario in scenarios for p in scenario.probes)
    return History(name, domain, user, tuple(sessions), probes)


def _phrasings_for(split: str) -> Phrasings:
    if split == "dev":
        return DEV_PHRASINGS
    if split == "test":
        return TEST_PHRASINGS
    raise ValueError(f"split must be 'dev' or 'test', got {split!r}")


def generate(count: int, *, split: Literal["dev", "test"], seed: int = 0) -> list[History]:
    """Build ``count`` histories with the split's phrasings; identical inputs always give identical output."""
    phrasings = _phrasings_for(split)
    histories: list[History] = []
    for index in range(count):
        name = f"neg-{split}-{seed}-{index:04d}"
        for attempt in range(_MAX_ATTEMPTS):
            rng = random.Random(f"negative-histories:{split}:{seed}:{index}:{attempt}")
            try:
                histories.append(_build_history(rng, phrasings, name))
                break
            except _RetryError:
                continue
        else:
            raise RuntimeError(f"could not build an unambiguous history for {name}")
    return histories


# ---------------------------------------------------------------------------------------------------------------------
# Self-checks
# ---------------------------------------------------------------------------------------------------------------------

_ALLOWED_FIELDS: Mapping[str, frozenset[str]] = {
    "retract_topic": frozenset({"topic"}),
    "retract_anaphoric": frozenset(),
    "retract_stop": frozenset({"activity", "Activity", *_PRONOUNS["personal"]}),
    "dependency": frozenset({"dep", "Dep", "reason", "cond"}),
    "conditional": frozenset({"trig", "Trig", "plan", "Plan", "old"}),
    "change": frozenset({"change", "Change"}),
    "timeline_first": frozenset({"state", "State", "move", "Move"}),
    "timeline_update": frozenset({"state", "State", "move", "Move"}),
    "question_prefix": frozenset(),
}
_KEYED_FIELDS = frozenset({"retract_topic", "retract_anaphoric", "retract_stop"})
_NAME_RE = re.compile(r"^[a-z0-9-]+$")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _normalise(template: str) -> str:
    return re.sub(r"[^a-z{} ]+", "", template.lower()).strip()


def _check_phrasings() -> None:
    """Both splits must cover every pattern richly and never share a wording, or the held-out test means nothing."""
    question_ids = {*(t.name for t in _TOPICS), *(link.question for c in _CHAINS for link in c.links),
                    *(p.question for p in _PLANS), *(t.name for t in _TRACKS), *(t.name for t in _TRAITS)}  # fmt: skip
    for split, ph in (("dev", DEV_PHRASINGS), ("test", TEST_PHRASINGS)):
        for name in _PATTERN_FIELDS:
            templates: tuple[str, ...] = getattr(ph, name)
            if len(set(templates)) < _MIN_PHRASINGS:
                raise ValueError(f"{split}.{name}: fewer than {_MIN_PHRASINGS} phrasings")
            for template in templates:
                extra = _fields(template) - _ALLOWED_FIELDS[name]
                if extra:
                    raise ValueError(f"{split}.{name}: unknown placeholders {extra} in {template!r}")
                brackets = len(_KEY_RE.findall(template))
                if brackets != (1 if name in _KEYED_FIELDS else 0) or template.count("[") != brackets:
                    raise ValueError(f"{split}.{name}: bad [key] marking in {template!r}")
        if set(ph.questions) != question_ids:
            raise ValueError(f"{split}: question ids differ from content: {set(ph.questions) ^ question_ids}")
        for qid, templates in ph.questions.items():
            if len(set(templates)) < 2 or len(templates) * len(set(ph.question_prefix)) < _MIN_PHRASINGS:
                raise ValueError(f"{split}: too few phrasings for question {qid!r}")
    for name in _PATTERN_FIELDS:
        dev = {_normalise(t) for t in getattr(DEV_PHRASINGS, name)} - {""}
        test = {_normalise(t) for t in getattr(TEST_PHRASINGS, name)} - {""}
        if dev & test:
            raise ValueError(f"{name}: dev and test share phrasings {dev & test}")
    for qid in question_ids:
        shared = {_normalise(t) for t in DEV_PHRASINGS.questions[qid]} & {
            _normalise(t) for t in TEST_PHRASINGS.questions[qid]
        }
        if shared:
            raise ValueError(f"question {qid!r}: dev and test share {shared}")


def _check_small_talk() -> None:
    for line in (*(x for pool in FILLERS.values() for x in pool), *OPENERS, *OPENER_REPLIES, *ACKS,
                 *SMALLTALK_REPLIES):  # fmt: skip
        if _CUE_WORDS_RE.search(line):
            raise ValueError(f"small talk contains a cue word: {line!r}")
    if sum(len(pool) for pool in FILLERS.values()) < 40:
        raise ValueError("need at least 40 filler lines")


def _check_history(history: History) -> None:
    if not _NAME_RE.match(history.name):
        raise ValueError(f"bad name {history.name!r}")
    if history.domain not in DOMAINS:
        raise ValueError(f"{history.name}: bad domain")
    if not 4 <= len(history.sessions) <= 8:
        raise ValueError(f"{history.name}: {len(history.sessions)} sessions")
    turns = [t for s in history.sessions for t in s.turns]
    if len({s.session_id for s in history.sessions}) != len(history.sessions):
        raise ValueError(f"{history.name}: duplicate session ids")
    for turn in turns:
        if turn.occurred_at.tzinfo is None or turn.occurred_at.utcoffset() != timedelta(0):
            raise ValueError(f"{history.name}: timestamp not UTC")
        expected_speaker = history.user if turn.role == "user" else "Assistant"
        if turn.role not in ("user", "assistant") or turn.speaker != expected_speaker:
            raise ValueError(f"{history.name}: bad role/speaker {turn.role}/{turn.speaker}")
    if any(b.occurred_at <= a.occurred_at for a, b in itertools.pairwise(turns)):
        raise ValueError(f"{history.name}: timestamps not increasing")
    lowered = [t.text.lower() for t in turns]

    def turn_of(key: str) -> int:
        if not key or key != key.lower():
            raise ValueError(f"{history.name}: substring {key!r} must be non-empty lowercase")
        hits = [i for i, text in enumerate(lowered) if key in text]
        if len(hits) != 1 or turns[hits[0]].role != "user":
            raise ValueError(f"{history.name}: substring {key!r} matches {len(hits)} turns")
        return hits[0]

    scenario_probes = 0
    for probe in history.probes:
        if probe.kind not in PROBE_KINDS:
            raise ValueError(f"{history.name}: bad kind {probe.kind}")
        for key in (*probe.stale, *probe.change, *probe.expected):
            turn_of(key)
        needs = {
            "retraction": (probe.stale, probe.change),
            "dependency": (probe.stale, probe.change),
            "replacement": (probe.expected, probe.change),
            "timeline": (probe.expected,),
            "wrong_person": (probe.stale,),
            "answerable": (probe.expected,),
        }[probe.kind]
        if not all(needs):
            raise ValueError(f"{history.name}: {probe.kind} probe missing substrings")
        if probe.kind == "dependency" and not 1 <= probe.hops <= 3:
            raise ValueError(f"{history.name}: hops {probe.hops}")
        if probe.kind == "timeline":
            positions = [turn_of(k) for k in probe.expected]
            if positions != sorted(positions) or not 3 <= len(positions) <= 4:
                raise ValueError(f"{history.name}: timeline values out of order")
        changed = (*probe.stale, *probe.expected)
        if probe.kind in ("retraction", "dependency", "replacement") and max(map(turn_of, probe.change)) < max(
            map(turn_of, changed)
        ):
            raise ValueError(f"{history.name}: change precedes what it changes")
        scenario_probes += probe.kind not in ("answerable",)
    if not 2 <= scenario_probes <= 4:
        raise ValueError(f"{history.name}: {scenario_probes} scenarios")


def validate(histories: Sequence[History]) -> None:
    """Raise ``ValueError`` when templates, small talk or any history break the benchmark's invariants."""
    _check_phrasings()
    _check_small_talk()
    names = [h.name for h in histories]
    if len(set(names)) != len(names):
        raise ValueError("history names are not unique")
    for history in histories:
        _check_history(history)


def format_history(history: History) -> str:
    """Human-readable dump for eyeballing a sample."""
    lines = [f"=== {history.name} ({history.domain}, user {history.user}) ==="]
    for session in history.sessions:
        lines.append(f"--- {session.session_id} ---")
        lines.extend(f"{t.occurred_at:%Y-%m-%d %H:%M} {t.speaker}: {t.text}" for t in session.turns)
    lines.append("Probes:")
    for p in history.probes:
        extra = f" hops={p.hops}" if p.kind == "dependency" else ""
        lines.append(f"  [{p.kind}{extra}] {p.question}")
        lines.append(f"      stale={p.stale} change={p.change} expected={p.expected}")
    return "\n".join(lines)


def _summary(histories: Sequence[History]) -> str:
    kinds = Counter(p.kind for h in histories for p in h.probes)
    hops = Counter(p.hops for h in histories for p in h.probes if p.kind == "dependency")
    domains = Counter(h.domain for h in histories)
    sessions = Counter(len(h.sessions) for h in histories)
    parts = [f"{k}={kinds.get(k, 0)}" for k in PROBE_KINDS]
    return (
        f"probes: {', '.join(parts)}\n  hops: {dict(sorted(hops.items()))}  domains: {dict(domains)}  "
        f"sessions: {dict(sorted(sessions.items()))}  turns: {sum(len(s.turns) for h in histories for s in h.sessions)}"
    )


def _main() -> None:
    dev = generate(200, split="dev")
    test = generate(200, split="test")
    validate(dev)
    validate(test)
    if generate(200, split="dev") != dev:
        raise ValueError("generation is not deterministic")
    print(f"dev  (200): {_summary(dev)}")
    print(f"test (200): {_summary(test)}")
    print()
    sample = next((h for h in dev if len({p.kind for p in h.probes}) >= 5), dev[0])
    print(format_history(sample))


# =====================================================================================================================
# HELD OUT: implementers must not read below this line
# =====================================================================================================================

TEST_PHRASINGS = Phrasings(
    retract_topic=(
        "[That stuff about {topic}? Not accurate any more], so don't rely on it.",
        "[I misspoke about {topic}] earlier.",
        "[Let's pretend I never brought up {topic}].",
        "[Cross off everything about {topic}].",
        "[You can bin what I told you regarding {topic}].",
        "[Turns out I had {topic} all mixed up], please don't go by it.",
        "[Correction on {topic}]: none of that applies.",
        "[Wipe the note about {topic}]; it's stale.",
        "Hmm, [{topic}: I got that one backwards], so set it aside.",
    ),
    retract_anaphoric=(
        "Hang on, that's not right, [pretend I didn't say it].",
        "Ugh, [ignore me, that was a mistake].",
        "[Let me take that back].",
        "Actually no, [that's old news, skip it].",
        "Hmm, [I shouldn't have said that], it isn't true.",
        "Wait, [I mixed that up]. Don't go by it.",
        "[Erase that last one], please.",
        "On second thought, [that one's not accurate].",
        "[Scrap that last thing I said].",
    ),
    retract_stop=(
        "[{Have} packed in {activity}].",
        "[{Activity}? That's in the past].",
        "[{Be} no longer {activity}].",
        "[Not {activity} these days], that's all over.",
        "[{Have} called time on {activity}].",
        "Turns out [{have} quit {activity} for good].",
        "[{Have} given {activity} a rest, permanently].",
        "[{Subj} ended up quitting {activity}].",
        "[{Activity} has fallen by the wayside].",
    ),
    dependency=(
        "{Dep}, which really comes down to the fact that {reason}.",
        "Provided {cond}, {dep}.",
        "{Dep}; it's tied to the fact that {reason}.",
        "So long as {cond}, {dep}.",
        "The whole reason {dep} is that {reason}.",
        "{Dep}; take away the fact that {reason} and there'd be no point.",
        "{Dep}, but that hinges on the fact that {reason}.",
        "Realistically, {dep} for the simple reason that {reason}.",
        "{Dep} purely on account of the fact that {reason}.",
        "{Dep}, and that's conditional on the fact that {cond}.",
    ),
    conditional=(
        "Say {trig}: then {plan}.",
        "{Plan} the day {trig}.",
        "In the event that {trig}, {plan}.",
        "Supposing {trig}, {plan} in place of {old}.",
        "My fallback for when {trig} is simple: {plan}.",
        "Come the day {trig}, {plan}.",
        "Worst case {trig}, and at that point {plan}.",
        "The moment {trig}, {plan}, no question about it.",
        "Let's say {trig}: {plan} rather than sticking with {old}.",
    ),
    change=(
        "Big development: {change}.",
        "Well, it finally happened: {change}.",
        "{Change}, as of this month.",
        "Guess what? {Change}.",
        "It's official, {change}.",
        "Heads up that {change} over the weekend.",
        "Been a hectic stretch: {change}.",
        "{Change} the other day, for what it's worth.",
        "Not sure I mentioned it, but {change}.",
    ),
    timeline_first=(
        "Some background: {state}.",
        "I should mention {state}.",
        "{State} at present.",
        "The current situation is that {state}.",
        "As things stand, {state}.",
        "FWIW, {state}.",
        "Starting point: {state}.",
        "Today, {state}.",
    ),
    timeline_update=(
        "{Move} a while back.",
        "{State} at the moment, by the way.",
        "Latest is that {state}.",
        "Another change: {state}.",
        "{Move} over the holidays.",
        "So {state} these days, believe it or not.",
        "Onto something new: {state}.",
        "Long story short, {state}.",
        "{Move}, long story.",
    ),
    question_prefix=(
        "",
        "Hmm, ",
        "Out of curiosity, ",
        "Help me out here: ",
        "Sorry if I asked before, but ",
        "Let me double-check: ",
        "Going by our chats, ",
        "Can't recall: ",
        "Need a refresher: ",
    ),
    questions={
        "gym": ("Where do I work out, which gym is it?", "What's the name of my gym again?"),
        "commute": ("What's my way of getting into work?", "How do I usually travel to the office?"),
        "doctor": ("Which GP do I see?", "What's my doctor's name?"),
        "choir": ("What's the name of the choir I'm part of?", "Which singing group am I in?"),
        "football": ("What's my five-a-side team called?", "Which side do I play five-a-side for?"),
        "car": ("What am I driving these days?", "Which car is mine?"),
        "cat": ("What did I name my cat?", "My cat's name, what is it?"),
        "language": ("Which language am I studying?", "What are my language lessons in?"),
        "ci": ("What's our CI provider?", "Which system runs our CI builds?"),
        "orders_db": ("What's the orders service's datastore?", "Which DB backs the orders service?"),
        "release": ("What date does {a} go out?", "When is {a} due to ship?"),
        "oncall": ("Who holds the on-call pager this rotation?", "Which person is on call right now?"),
        "monitoring": ("What's our monitoring stack?", "Which tool do we monitor things with?"),
        "state_lib": ("Which library handles state in the frontend?", "How does the frontend manage state?"),
        "staging_host": ("What's staging running on?", "Where's our staging environment hosted?"),
        "trainer": ("What's my trainer's name?", "Who do I do PT sessions with?"),
        "meal_plan": ("What diet plan am I following?", "Which eating plan am I on?"),
        "company_car": ("What's my company car?", "Which car does work give me?"),
        "permit": ("Which car park am I permitted to use?", "Where's my parking permit valid?"),
        "alarm_time": ("What's my wake-up time?", "How early does my alarm go?"),
        "dog_walker": ("Who's my dog walker?", "Who do I pay to walk the dog?"),
        "spare_key": ("Who can let themselves into my flat?", "Which person holds a spare key for my place?"),
        "burglar_alarm": ("How do I handle the burglar alarm on weekdays?",
                          "Is the burglar alarm set during the week?"),
        "work_pattern": ("How is my working week structured?", "Do I get Fridays off work?"),
        "weekly_shop": ("Which day is my big grocery run?", "When does the weekly shop happen?"),
        "export_job": ("What's the name of our nightly export?", "Which job exports the database each night?"),
        "snapshot_bucket": ("Where do our DB snapshots get stored?", "Which storage bucket holds the snapshots?"),
        "snapshot_dashboard": ("Which dashboard is fed by the snapshot data?",
                               "What report refreshes off the snapshots each morning?"),
        "shift": ("What hours am I working, early or not?", "Which shift am I on?"),
        "pager": ("Which device do I carry on Mondays?", "What am I on the hook to carry Monday mornings?"),
        "vault": ("What vault am I able to read?", "Which secrets vault do I have access to?"),
        "charts": ("What Helm charts are we responsible for?", "Which chart repo do we keep?"),
        "chart_reviewer": ("Who checks our Helm changes?", "Who's the reviewer for chart changes?"),
        "chart_slot": ("Do we have a standing slot for chart reviews?", "When is our chart review slot?"),
        "pinned_lib": ("Which dependency are we holding on an old version?", "What package is held on an old release?"),
        "carried_patch": ("What patch do we keep in our codebase?", "Which patch lives in our repo?"),
        "commute_now": ("How am I commuting these days?", "What's my current way into work?"),
        "home_now": ("What's my living situation at the moment?", "Where do I live currently?"),
        "exercise_now": ("What's my exercise routine at the moment?", "How do I stay active currently?"),
        "workout_now": ("Where am I exercising at the moment?", "What's my workout setup currently?"),
        "pottery_now": ("What's my current pottery schedule?", "Which day is pottery on at the moment?"),
        "car_now": ("How do I get hold of a car at the moment?", "What's my car situation currently?"),
        "migrations_now": ("Which tool handles our migrations at the moment?", "What's our current migration tooling?"),
        "builds_now": ("Which service runs our builds currently?", "Where are builds running at the moment?"),
        "release_owner_now": ("Who's in charge of releases at the moment?",
                              "Who's currently running the release process?"),
        "api_edge_now": ("What's in front of our API at the moment?", "Which CDN fronts the API currently?"),
        "handover_now": ("What time is on-call handed over at the moment?", "When's the current on-call handover?"),
        "logs_now": ("Which service receives our logs at the moment?", "Where are logs being shipped currently?"),
        "tl_city": ("Can you list the places I've lived, earliest to latest?",
                    "Which cities have I called home, in sequence?"),
        "tl_employer": ("List my employers in the order I worked for them.", "Which jobs have I had, earliest first?"),
        "tl_phone": ("Run me through my phones, first to most recent.", "What's the sequence of phones I've owned?"),
        "tl_sport": ("What sports have I taken up, in sequence?", "List my main sports over time, earliest first."),
        "tl_car": ("Walk me through the cars I've had, in sequence.", "What's the order of cars I've owned?"),
        "tl_staging": ("Trace where staging has lived, first to last.", "What's the sequence of staging hosts?"),
        "tl_ci": ("List our CI providers over time, earliest first.",
                  "What's the sequence of CI systems we've been on?"),
        "tl_tracker": ("Which issue trackers have we gone through, in sequence?",
                       "List the tools we've tracked issues in, first to last."),
        "tl_lead": ("List our team leads in sequence.", "Who have our leads been, earliest to latest?"),
        "tl_queue": ("Trace our event bus over time, first to last.",
                     "What's the sequence of queues our events have used?"),
        "teaches": ("Which subject is {p} teaching?", "What class does {p} teach?"),
        "job": ("What's {p}'s line of work?", "What does {p} do for a living?"),
        "studies": ("What's {p}'s degree in?", "What course is {p} doing at uni?"),
        "instrument": ("What does {p} play in the band?", "Which instrument is {p}'s?"),
        "allergy": ("What's {p} allergic to?", "Does {p} have any allergies?"),
        "football_club": ("Which club does {p} follow?", "What football team is {p} a fan of?"),
        "dog": ("What did {p} call their dog?", "What's {p}'s dog's name?"),
        "owns": ("Which part of the system is {p} the owner of?", "What's {p} responsible for owning?"),
        "oncall_lead": ("What service does {p} lead on-call for?", "Where is {p} the on-call lead?"),
        "fork": ("Which forked project does {p} look after?", "What's the fork {p} maintains?"),
        "runbook": ("What runbook is {p} the author of?", "Which runbook came from {p}?"),
        "office": ("Which office is {p} based in?", "Where does {p} work from?"),
        "signoff": ("What does {p} have to approve?", "Which kind of change needs {p}'s sign-off?"),
    },
)  # fmt: skip

if __name__ == "__main__":
    _main()
