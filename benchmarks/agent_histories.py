"""Synthetic agent histories for the warm-cache benchmark: what an assistant's later sessions need.

Each history is one user working with one agent over many sessions. Sessions carry out tasks; some
tasks recur. Along the way the history states knowledge a later session will need:
- procedures: how a task is done, with which tool;
- pitfalls: what failed with a tool and why;
- people: who owns what and how they want to be dealt with;
- preferences: how the user wants things;
- open threads: something promised or planned for later; about half are reported done once followed
  up, after which no session needs them (`closed_threads`: the plan's turn and the report's).
A later session that does the same task, touches the same person or follows the thread up opens
with it and has a turn that uses that knowledge: that turn and the earlier statement are one
question's evidence, as in LoCoMo. Between them: filler (acknowledgements, status lines, small talk).

Two splits, written with disjoint phrasings and names: `dev` (what development looked at) and
`heldout` (phrasings the implementation never saw). Written in LoCoMo's format, so
warm_cache_bench.py replays them like LoCoMo:
    uv run python benchmarks/agent_histories.py [--histories 6] [--sessions 30] [--seed 7]
writes benchmarks/results/agent_histories_dev.json and agent_histories_heldout.json.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Phrasings:
    """Every pattern's templates for one split; {slots} are filled from the history's world."""

    procedure: tuple[str, ...]
    procedure_use: tuple[str, ...]
    pitfall: tuple[str, ...]
    pitfall_use: tuple[str, ...]
    person: tuple[str, ...]
    person_use: tuple[str, ...]
    preference: tuple[str, ...]
    preference_use: tuple[str, ...]
    thread: tuple[str, ...]
    thread_use: tuple[str, ...]
    # A report that the thread's plan is done: the thread is closed, and no later session needs it.
    thread_done: tuple[str, ...]
    opening: tuple[str, ...]
    filler: tuple[str, ...]
    # Substantive one-offs nobody comes back to: what makes the needed knowledge hard to pick out.
    aside: tuple[str, ...]
    names: tuple[str, ...]
    users: tuple[str, ...]


DEV = Phrasings(
    procedure=(
        "To {task}, I always run `{tool} {arg}` first and then check {check}.",
        "The way we {task}: `{tool} {arg}`, wait for it, then look at {check}.",
        "Note for next time: {task} means `{tool} {arg}` followed by a look at {check}.",
    ),
    procedure_use=(
        "Running `{tool} {arg}` like last time, then I'll check {check}.",
        "Same steps as before: `{tool} {arg}` and then {check}.",
    ),
    pitfall=(
        "Careful: `{tool}` failed on {target} because {cause}; {fix} fixed it.",
        "That broke: `{tool}` on {target} errors out when {cause}. We had to {fix}.",
    ),
    pitfall_use=(
        "Before `{tool}` on {target}, let me make sure we {fix}, so it does not fail again.",
        "Remember `{tool}` on {target} failed when {cause}; doing {fix} first.",
    ),
    person=(
        "{name} owns {project}; {name} wants every change announced in {channel} a day ahead.",
        "If {project} needs a decision, ask {name}, who prefers to hear about it in {channel}.",
    ),
    person_use=(
        "Since {name} owns {project}, I'll post the plan in {channel} first.",
        "Let's loop in {name} on {channel} before touching {project}.",
    ),
    preference=(
        "Please always write my summaries as {style}; I read them on my phone.",
        "I prefer {style} for anything you send me.",
    ),
    preference_use=(
        "Here is the summary, as {style} the way you like it.",
        "Sending the update as {style}, as you asked.",
    ),
    thread=(
        "I promised {name} we would {plan} by {when}.",
        "We still need to {plan}; I told {name} it would be done by {when}.",
    ),
    thread_use=(
        "About the promise to {name}: let's {plan} now.",
        "Time to {plan}, {name} is expecting it.",
    ),
    thread_done=(
        "Done: we managed to {plan}, and {name} has it.",
        "That's finished, we did {plan} and told {name}.",
        "Ticked off the list: {plan}. {name} is happy.",
    ),
    opening=(
        "Hi, today I need to {task} for {project}.",
        "Morning! Can we {task} on {project}?",
        "Next up: {task}, {project}.",
    ),
    filler=(
        "Sounds good.",
        "Okay, give me a minute.",
        "Thanks, that helps.",
        "The build took {n} seconds this time.",
        "Coffee first, then we continue.",
        "Status: {n} checks passed, nothing flagged.",
        "Fine, moving on.",
        "Can you repeat the last output?",
        "Log line {n}: request handled in {n} ms.",
        "Nice, that worked.",
    ),
    aside=(
        "I noticed {n} warnings about deprecated flags in the {project} config loader, probably harmless.",
        "My laptop fan has been loud all week; I think the {project} test suite is to blame.",
        "We had a long lunch discussion about whether {tool} should be replaced someday.",
        "The {project} dashboard showed a spike of {n} requests around noon, then it settled.",
        "I read a long article about {tool} internals last night; interesting but not urgent.",
        "Our office moved the standup to the small room on the third floor.",
        "I spent an hour reviewing the {project} README and fixed {n} typos.",
    ),
    names=("Dana", "Malik", "Ines", "Tobias", "Yuki", "Rosa", "Arjun", "Leah"),
    users=("Priya", "Sam", "Olga", "Chen"),
)
# The held-out split: other sentences, other names. Development never read these templates' results.
HELDOUT = Phrasings(
    procedure=(
        "For the record, {task} goes like this: `{tool} {arg}`, then verify {check}.",
        "Whenever I {task} I start with `{tool} {arg}` and finish by reviewing {check}.",
    ),
    procedure_use=(
        "Doing it the usual way: `{tool} {arg}` and then reviewing {check}.",
        "As we did before, first `{tool} {arg}`, then {check}.",
    ),
    pitfall=(
        "Lesson learned: on {target}, `{tool}` dies if {cause}. Solution was to {fix}.",
        "Watch out, `{tool}` against {target} blew up since {cause}; we ended up having to {fix}.",
    ),
    pitfall_use=(
        "To avoid last time's failure of `{tool}` on {target}, I'll {fix} up front.",
        "`{tool}` on {target} again; {fix} beforehand given what happened.",
    ),
    person=(
        "Anything about {project} goes through {name}, and {name} likes a heads-up in {channel}.",
        "{name} is responsible for {project}; please keep {name} posted via {channel}.",
    ),
    person_use=(
        "Pinging {name} in {channel} since it's {project}.",
        "Heads-up to {name} over {channel}, then we start on {project}.",
    ),
    preference=(
        "From now on send me everything as {style}, please.",
        "My preference: {style}, every time.",
    ),
    preference_use=(
        "Summary follows, {style} as usual.",
        "Wrote it up as {style} for you.",
    ),
    thread=(
        "Reminder to self: {name} is waiting for us to {plan}, due {when}.",
        "Open item: {plan} before {when}, {name} asked for it.",
    ),
    thread_use=(
        "Let's close the open item for {name} and {plan}.",
        "{name} has been waiting, so we {plan} today.",
    ),
    thread_done=(
        "Quick update: I finally got to {plan} last night, so {name} can stop chasing me.",
        "Done. Went ahead and managed to {plan}; {name} has the confirmation.",
        "Good news, {name}: we were able to {plan} this morning, it's all wrapped up.",
        "Crossing it off the list: had time to {plan} before lunch. Thanks {name} for the nudge.",
        "FYI, that's finished now, {name}. Sat down and took the time to {plan} yesterday.",
    ),
    opening=(
        "Hello again. Agenda: {task} on {project}.",
        "Let's get to {task} for {project} today.",
    ),
    filler=(
        "Alright.",
        "One sec, reading the output.",
        "Got it, thank you.",
        "Pipeline finished after {n} seconds.",
        "Quick break, back soon.",
        "All {n} tests green.",
        "Understood.",
        "Say that again?",
        "Trace {n} shows {n} ms end to end.",
        "Great, it went through.",
    ),
    aside=(
        "Side note: {project} emitted {n} noisy log lines from its retry loop this morning.",
        "I finally cleaned up my desktop and archived {n} old screenshots of {tool}.",
        "Somebody asked in the hallway whether {project} will get a new logo.",
        "Random thought: {tool} has a nicer progress bar than it used to.",
        "The coffee machine on our floor is broken again, so I walked to the cafe.",
        "I skimmed the {project} roadmap deck; {n} slides, mostly old news.",
        "The wifi dropped twice during the {project} call, annoying but fine.",
    ),
    names=("Bruno", "Keiko", "Farah", "Lars", "Zainab", "Pablo", "Mei", "Oskar"),
    users=("Nadia", "Jonas", "Amara", "Felix"),
)
WORLD = {
    "tasks": [
        ("deploy the service", "kubectl", "apply -f deploy/", "the rollout status"),
        ("rotate the database password", "vault", "write db/rotate", "the connection pool errors"),
        ("cut a release", "git", "tag -s", "the changelog"),
        ("refresh the dashboards", "grafana-cli", "dashboards import", "the panel queries"),
        ("run the nightly backup", "pg_dump", "--format=custom", "the backup size"),
        ("bump the dependencies", "uv", "lock --upgrade", "the test suite"),
        ("renew the certificates", "certbot", "renew --dry-run", "the expiry dates"),
        ("resize the cluster", "terraform", "apply -target=module.nodes", "the node count"),
    ],
    "projects": ["billing-api", "search-index", "mobile-app", "data-lake", "auth-gateway", "docs-site"],
    "targets": ["staging", "the eu cluster", "prod-west", "the build runners"],
    "causes": [
        "the disk was full",
        "the token had expired",
        "two jobs held the same lock",
        "the image tag was missing",
        "DNS still pointed at the old host",
    ],
    "fixes": [
        "clear the docker cache",
        "refresh the token",
        "release the stale lock",
        "push the tag again",
        "flush the DNS cache",
    ],
    "channels": ["#deploys", "#platform", "email", "the weekly sync", "a direct message"],
    "styles": ["three bullet points", "a single short paragraph", "a table", "numbered steps"],
    "plans": [
        "migrate the cron jobs",
        "write the incident report",
        "archive the old buckets",
        "document the on-call runbook",
    ],
    "whens": ["Friday", "the end of the month", "next sprint", "Tuesday"],
}


@dataclass
class History:
    rng: random.Random
    say: Phrasings
    user: str
    start: datetime
    sessions: list[list[dict[str, str]]] = field(default_factory=list)
    qa: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, str]] = field(default_factory=list)

    def fill(self, template: str, **slots: str) -> str:
        return template.format(n=str(self.rng.randint(2, 900)), **slots)

    def turn(self, session: int, speaker: str, text: str) -> str:
        turns = self.sessions[session]
        dia_id = f"D{session + 1}:{len(turns) + 1}"
        turns.append({"speaker": speaker, "dia_id": dia_id, "text": text})
        return dia_id

    def fillers(self, session: int, count: int, **slots: str) -> None:
        """Acknowledgements and status lines, and about one in three a substantive aside."""
        for _ in range(count):
            if slots and self.rng.random() < 0.35:
                self.turn(session, self.user, self.fill(self.rng.choice(self.say.aside), **slots))
            else:
                speaker = self.rng.choice([self.user, "Assistant"])
                self.turn(session, speaker, self.fill(self.rng.choice(self.say.filler)))


def generate(split: Phrasings, index: int, sessions: int, seed: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}-{index}-{split.users[0]}")
    closer = random.Random(f"close-{seed}-{index}-{split.users[0]}")  # which threads are reported done
    user = split.users[index % len(split.users)]
    h = History(rng, split, user, datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=index))
    tasks = rng.sample(WORLD["tasks"], 5)
    projects = rng.sample(WORLD["projects"], 4)
    people = rng.sample(list(split.names), 3)
    owner = {p: people[i % len(people)] for i, p in enumerate(projects)}
    channel = {name: rng.choice(WORLD["channels"]) for name in people}
    style = rng.choice(WORLD["styles"])
    # Knowledge stated so far: key -> (evidence turn, slots), used by later sessions.
    known: dict[str, tuple[str, dict[str, str]]] = {}
    for n in range(sessions):
        h.sessions.append([])
        task, tool, arg, check = rng.choice(tasks)
        project = rng.choice(projects)
        slots = {"task": task, "tool": tool, "arg": arg, "check": check, "project": project}
        person = owner[project]
        slots |= {"name": person, "channel": channel[person], "style": style}
        h.turn(n, user, h.fill(rng.choice(split.opening), **slots))
        h.fillers(n, rng.randint(2, 4), **slots)
        uses: list[tuple[str, str]] = []  # (knowledge key, the template that uses it)
        for key, stated, use in (
            (f"procedure:{task}", split.procedure, split.procedure_use),
            (f"person:{person}", split.person, split.person_use),
        ):
            if key in known:
                uses.append((key, rng.choice(use)))
            else:
                known[key] = (h.turn(n, rng.choice([user, "Assistant"]), h.fill(rng.choice(stated), **slots)), slots)
                h.fillers(n, rng.randint(1, 3), **slots)
        target = rng.choice(WORLD["targets"])
        pitfall_key = f"pitfall:{tool}"
        if pitfall_key in known and rng.random() < 0.8:
            uses.append((pitfall_key, rng.choice(split.pitfall_use)))
        elif pitfall_key not in known and rng.random() < 0.6:
            i = rng.randrange(len(WORLD["causes"]))
            pitfall = slots | {"target": target, "cause": WORLD["causes"][i], "fix": WORLD["fixes"][i]}
            known[pitfall_key] = (h.turn(n, "Assistant", h.fill(rng.choice(split.pitfall), **pitfall)), pitfall)
        if "preference" not in known and n >= 1:
            known["preference"] = (h.turn(n, user, h.fill(rng.choice(split.preference), **slots)), slots)
        elif "preference" in known and rng.random() < 0.4:
            uses.append(("preference", rng.choice(split.preference_use)))
        thread_key = f"thread:{person}"
        if thread_key in known and rng.random() < 0.7:
            uses.append((thread_key, rng.choice(split.thread_use)))
        elif thread_key not in known and rng.random() < 0.3:
            thread = slots | {"plan": rng.choice(WORLD["plans"]), "when": rng.choice(WORLD["whens"])}
            known[thread_key] = (h.turn(n, user, h.fill(rng.choice(split.thread), **thread)), thread)
        for key, template in uses:
            h.fillers(n, rng.randint(1, 3), **slots)
            stated_at, stated_slots = known[key]
            used_at = h.turn(n, rng.choice([user, "Assistant"]), h.fill(template, **(slots | stated_slots)))
            h.qa.append({"question": f"what does session {n + 1} need about {key}?", "evidence": [stated_at, used_at]})
            if key.startswith("thread:") and closer.random() < 0.5:
                del known[key]
                done = closer.choice(split.thread_done).format(**(slots | stated_slots))
                h.closed.append({"plan": stated_at, "report": h.turn(n, closer.choice([user, "Assistant"]), done)})
        h.fillers(n, rng.randint(3, 6), **slots)
    conversation: dict[str, Any] = {"speaker_a": user, "speaker_b": "Assistant"}
    for n, turns in enumerate(h.sessions):
        when = h.start + timedelta(days=3 * n, minutes=rng.randint(0, 600))
        conversation[f"session_{n + 1}_date_time"] = when.strftime("%I:%M %p on %d %B, %Y")
        conversation[f"session_{n + 1}"] = turns
    return {"sample_id": f"agent-{index}", "conversation": conversation, "qa": h.qa, "closed_threads": h.closed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", type=int, default=6)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for name, split in (("dev", DEV), ("heldout", HELDOUT)):
        histories = [generate(split, i, args.sessions, args.seed) for i in range(args.histories)]
        path = RESULTS / f"agent_histories_{name}.json"
        path.write_text(json.dumps(histories, indent=1) + "\n")
        turns = sum(len(v) for h in histories for k, v in h["conversation"].items() if k.endswith(tuple("0123456789")))
        print(f"{path}: {len(histories)} histories, {turns} turns, {sum(len(h['qa']) for h in histories)} needs")


if __name__ == "__main__":
    main()
