"""The cues' reach on wording they were not written from: sentences written for this test, blind to the
benchmark's phrasings and with their own people, places and projects, read by the offline cues (cues.py).
Each kind must be read at least `REACH` of the time, and turns that take nothing back, rest on nothing
and plan nothing (facts, news, small talk, questions, past stories with a reason, requests, the assistant's
own turns) must not be read as one. A cue added for one benchmark wording and nothing like it shows here.
"""

from __future__ import annotations

import pytest
from somnia_graph.cues import condition_of, retraction_of

REACH = 0.95

SPEAKERS = (
    "Ravi", "Elena", "Jun", "Bongani", "Clara", "Mehmet", "Aino", "Lars", "Paloma", "Tobias", "Wen", "Odile",
    "Kofi", "Sigrid", "Nuno", "Ilse", "Hamid", "Bea", "Teodor", "Lina",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------------
# Retractions: {topic} is what is taken back; the anaphoric ones point at what was just said.
# ---------------------------------------------------------------------------------------------------------------------

RETRACTION_TOPICS = (
    "the salsa class", "my landlord", "the Friday standup", "our Redis cluster", "my allergy", "the cabin trip",
    "my brother's wedding", "the loan", "the Grafana alerts", "the vegan thing", "my running club",
    "the piano lessons", "the spare room", "the budget numbers", "the Terraform modules", "the conference talk",
    "my old boss", "the dentist appointment", "the bike", "the Spanish course", "my diet", "the release branch",
    "the beta testers", "the book I was writing", "my night classes", "the garden plot", "the Kafka topic naming",
    "the migration deadline", "my sleep schedule", "the apartment in town", "the kids' school", "the new laptop",
    "the rota", "the office move", "the podcast idea", "the monorepo plan", "my knee", "the wine club",
    "the staging database", "the pension stuff",
)  # fmt: skip
RETRACTION_WITH_TOPIC = (
    "Forget everything I told you about {topic}.",
    "Please drop what I said about {topic}.",
    "The stuff about {topic} isn't accurate anymore, so ignore it.",
    "Can you wipe the note about {topic}?",
    "Scrap what I mentioned regarding {topic}.",
    "I take back what I said about {topic}.",
    "That info on {topic} is out of date, disregard it.",
    "Ignore my earlier message about {topic}.",
    "Don't hold on to the details about {topic}, they're wrong.",
    "Actually, {topic} - none of that is true any more.",
    "What I said about {topic} no longer applies.",
    "Remove {topic} from your notes please.",
    "Correction: everything about {topic} was a mistake.",
    "Please don't remember the thing about {topic}.",
    "Let's pretend I never brought up {topic}.",
    "I misspoke about {topic}, please discard that.",
    "Whatever you have on {topic} is stale now.",
    "Cross out the part about {topic}.",
    "Erase what you know about {topic}.",
    "Re {topic}: forget it, that's changed.",
    "My comment on {topic} was wrong, please delete it.",
    "Strike {topic} from the record.",
    "You can throw away what I told you about {topic}.",
    "I need you to unlearn the {topic} detail.",
    "Nothing I said about {topic} holds anymore.",
    "About {topic}, scratch all of that.",
    "Please stop keeping track of {topic}.",
    "Withdraw the note on {topic}, it was never right.",
    "I got {topic} wrong earlier, ignore it.",
    "Disregard anything I said on {topic}.",
    "The bit on {topic} - delete it, it's obsolete.",
    "Don't store anything about {topic}.",
    "Please clear out what I said about {topic}, it's no longer the case.",
    "Oh and {topic}? Forget I mentioned it.",
    "Bin the info about {topic}.",
    "Could you delete what I shared about {topic}?",
    "Treat what I said about {topic} as void.",
    "Everything I told you regarding {topic} is wrong.",
    "Don't rely on what I said about {topic}, it's not true.",
    "Let's undo the note about {topic}.",
    # a second round, written after the cues had been widened for the first
    "Can you forget about {topic}?",
    "Please disregard {topic}.",
    "{Topic} is no longer relevant, you can drop it.",
    "Update: {topic} is off the table, ignore what I said.",
    "Skip everything regarding {topic}, it changed.",
    "I'd rather you didn't keep {topic} on file.",
    "Take {topic} off your list.",
    "Don't bother remembering {topic}.",
    "You can let go of {topic}, it's no longer a thing.",
    "That whole {topic} story - forget it.",
    "Ignore {topic}, that's all changed now.",
    "Scrub {topic} from your memory.",
    "Please purge anything related to {topic}.",
    "I was mistaken about {topic}.",
    "What I told you regarding {topic}? Totally wrong.",
    "Reset what you know about {topic}.",
    "Don't count on what I said about {topic} anymore.",
    "{Topic}: not accurate anymore, please update.",
    "Let's drop the {topic} thing entirely.",
    "You can discard my notes on {topic}.",
    "Hold off on remembering {topic}, it was wrong.",
    "Please unsee what I wrote about {topic}.",
)
RETRACTION_ANAPHORIC = (
    "Forget that.", "Scratch that last part.", "Actually no, ignore that.", "Please delete that.",
    "That's not true, sorry.", "Wait, that's wrong.", "Never mind, don't write that down.",
    "Hmm, strike that.", "Actually, drop that.", "Sorry, disregard what I just said.",
    "Oops, that was wrong, forget it.", "No, don't keep that one.", "Please don't save that.",
    "Ignore my last message.", "Let me take that back.", "That last bit was a mistake.",
    "Erase that, please.", "Scrap that, it's outdated.", "Actually forget I said anything.",
    "Nope, that isn't right, delete it.", "Hold on, that's not correct anymore.", "Cancel that.",
    "Undo that last note.", "Not true any more, ignore it.", "Whoops, remove that.",
    "Don't remember that.", "Pretend I didn't say that.", "Skip that, it's wrong.",
)  # fmt: skip
ENDED_ACTIVITIES = (
    "going to the climbing wall", "playing in the brass band", "the Tuesday pub quiz", "volunteering at the shelter",
    "using Jira", "running the nightly backups by hand", "the weekly retro", "seeing the physio",
    "learning Mandarin", "working from the cafe", "the keto diet", "our on-prem Jenkins", "the Slack bot",
    "coaching the under-tens", "using the old VPN", "the Sunday long runs", "smoking", "the book club",
    "taking the night bus", "the daily sync with sales",
)  # fmt: skip
RETRACTION_ENDED = (
    "I've quit {activity}.",
    "We're not doing {activity} anymore.",
    "I gave up {activity} last month.",
    "{Activity} is over for me.",
    "I stopped {activity} a while back.",
    "We've ditched {activity}.",
    "No longer doing {activity}.",
    "I'm finished with {activity}.",
    "We dropped {activity} for good.",
    "I haven't been {activity} in months.",
    "{Activity} is a thing of the past now.",
    "We've phased out {activity}.",
    "Scrap that, I was wrong.",
    "Delete the last thing I said.",
    "That's not accurate, please remove it.",
    "Hmm, ignore me, that was wrong.",
    "Forget what I just said.",
    "Never mind that last part.",
    "Actually, strike my previous message.",
    "Don't record that.",
    "Wrong - remove it.",
    "Disregard my last comment please.",
    "Erase my previous note.",
    "That one's outdated, drop it.",
    "I don't do {activity} anymore.",
    "{Activity} has stopped for me.",
    "I've packed in {activity}.",
    "{Activity}? Done with that.",
    "We wound down {activity}.",
    "I cancelled {activity}.",
)

# ---------------------------------------------------------------------------------------------------------------------
# Dependencies: {then} holds because of {cond}.
# ---------------------------------------------------------------------------------------------------------------------

DEPENDENCY_PAIRS = (
    ("I cycle to work", "the office is only two miles away"),
    ("we run the cron jobs on the bastion host", "the cluster has no egress to the vendor API"),
    ("I shop at the market on Saturdays", "I have Saturdays off"),
    ("we keep Python 3.9 on the build agents", "the legacy SDK does not support 3.11"),
    ("I park at the hospital car park", "my wife works there"),
    ("we use the shared staging account", "the team has no budget for its own"),
    ("I take the kids to school", "my partner starts work at seven"),
    ("I'm on the beta channel", "my company pays for the pro plan"),
    ("we mirror the artifacts to S3", "the registry has rate limits"),
    ("I eat lunch at my desk", "the canteen is closed for renovation"),
    ("I sing in the church choir", "my aunt runs it"),
    ("we deploy on Thursdays", "the QA team only works Monday to Wednesday"),
    ("I keep my savings in the credit union", "it pays the best interest"),
    ("we log to Loki", "Elasticsearch was too expensive for the retention we need"),
    ("I work from the Leeds office", "my manager sits there"),
    ("we page the platform team first", "they own the ingress controllers"),
    ("I rent a garage on Elder Street", "my car doesn't fit in the driveway"),
    ("I drink decaf", "my doctor told me to cut caffeine"),
    ("we pin the Helm chart to 4.2", "5.0 breaks our ingress annotations"),
    ("I do yoga at the community centre", "it is free for residents"),
    ("the reports go out on Mondays", "finance closes the books on Friday"),
    ("I walk the dog at six", "the park is empty then"),
    ("we keep a read replica in Frankfurt", "the German customers need low latency"),
    ("I'm learning Portuguese", "we're moving to Lisbon next year"),
    ("we use feature flags for checkout", "the payment provider can't do staged rollouts"),
    ("I sleep at my parents' on Wednesdays", "my night shift ends near their house"),
    ("the tests run in serial", "the fixtures share one database"),
    ("I volunteer at the food bank", "my employer gives us a paid day for it"),
    ("I need the car on weekdays", "I work night shifts at the depot"),
)
DEPENDENCY_TEMPLATES = (
    "{Then}, but only because {cond}.",
    "{Then}, and that's purely because {cond}.",
    "The whole reason {then} is that {cond}.",
    "{Then} as long as {cond}.",
    "{Then}; that only works while {cond}.",
    "Since {cond}, {then}.",
    "{Then} given that {cond}.",
    "{Cond}, which is why {then}.",
    "{Cond}, so {then}.",
    "{Then} - it all hinges on the fact that {cond}.",
    "{Then}, which depends on {cond} staying true.",
    "If it weren't for the fact that {cond}, I wouldn't say {then}.",
    "{Then} mostly because {cond}.",
    "{Then}, otherwise it wouldn't make sense; {cond}.",
    "{Then}, seeing as {cond}.",
    "{Then} for now, because {cond}.",
    "{Cond}. That's the only reason {then}.",
    "{Then} on the basis that {cond}.",
    "{Then}, and that's tied to the fact that {cond}.",
    "{Then} simply because {cond}.",
    "{Then} thanks to the fact that {cond}.",
    "{Then} provided {cond}.",
    "{Then} while {cond}.",
    "{Then} only so long as {cond}.",
    "{Then}. The reason: {cond}.",
    "{Then} - {cond}, that's why.",
    "{Then}, purely so long as {cond}.",
    "{Then}, but that's only the case because {cond}.",
    "{Then} - it's contingent on {cond}.",
    "Because {cond}, {then}.",
    "{Then}; the reason is {cond}.",
    "{Then}, and the only thing keeping that going is that {cond}.",
    "{Then} for the simple reason that {cond}.",
    "{Then}, which only works because {cond}.",
    "{Then} - all because {cond}.",
)

# ---------------------------------------------------------------------------------------------------------------------
# Plans for a change: if {trig}, {plan} (instead of {old}).
# ---------------------------------------------------------------------------------------------------------------------

PLAN_TRIPLES = (
    ("the bridge closes for repairs", "I'll take the ferry", "driving"),
    ("we outgrow the single Postgres node", "we'll shard by tenant", "the one big database"),
    ("my contract isn't renewed", "I'll go freelance", "the agency job"),
    ("the grant comes through", "we'll hire two more researchers", "the current team of three"),
    ("the landlord raises the rent again", "we'll move in with my sister", "the flat on Dale Road"),
    ("the vendor doubles its price", "we'll switch to the open-source build", "the paid licence"),
    ("my knee gets worse", "I'll swim instead", "running"),
    ("the baby arrives early", "my mum will cover the school runs", "me doing them"),
    ("the beta goes well", "we'll open sign-ups to everyone", "the waitlist"),
    ("the visa is approved", "I'll start in the Toronto office", "working remotely"),
    ("our on-call load keeps growing", "we'll add a follow-the-sun rotation", "the single rota"),
    ("the trains strike again", "I'll work from home those days", "going in"),
    ("we get the enterprise deal", "we'll move to dedicated clusters", "the shared cluster"),
    ("the choir folds", "I'll join the one in Ashford", "singing locally"),
    ("the new manager starts", "she'll take over the weekly report", "me writing it"),
    ("the car fails its MOT", "I'll sell it and use a car club", "owning a car"),
    ("the library closes on Saturdays", "I'll study at the cafe", "the library"),
    ("the API v1 traffic drops below five percent", "we'll turn v1 off", "running both versions"),
    ("my daughter starts nursery", "I'll go back to full time", "part time"),
    ("the heat pump is installed", "we'll drop the gas contract", "the boiler"),
)
PLAN_TEMPLATES = (
    "If {trig}, {plan} instead of {old}.",
    "Should {trig}, {plan}.",
    "{Plan} if {trig}.",
    "In the event that {trig}, {plan}.",
    "The day {trig}, {plan}.",
    "Contingency: if {trig}, {plan} rather than {old}.",
    "Once {trig}, {plan} and stop {old}.",
    "Assuming {trig}, {plan}.",
    "As soon as {trig}, {plan}.",
    "{Plan} the moment {trig}.",
    "If {trig} then {plan}.",
    "Worst case, {trig}, and then {plan}.",
    "When {trig}, {plan} - no more {old}.",
    "Fallback if {trig}: {plan}.",
    "Supposing {trig}, {plan}.",
    "If it turns out that {trig}, {plan}.",
    "Plan B for when {trig}: {plan}.",
    "{Plan} rather than {old}, but only if {trig}.",
    "Provided {trig}, {plan}.",
    "If ever {trig}, {plan}, not {old}.",
    "In case {trig}, {plan}.",
    "We agreed that if {trig}, {plan}.",
    "My plan if {trig} is that {plan}.",
    "Should {trig} happen, {plan}.",
    "If {trig} happens, the idea is that {plan}.",
    "{Trig}? Then {plan}.",
    "{Plan}, should {trig}.",
    "{Plan} if and when {trig}.",
    "The contingency for when {trig}: {plan}.",
    "{Plan}, assuming {trig}.",
    "{Plan} in case {trig}.",
    "{Plan} once {trig}.",
    "If {trig} goes ahead, {plan}.",
    "Thinking ahead: if {trig}, {plan}.",
    "The moment that {trig}, {plan} and forget about {old}.",
    "Say {trig} - then {plan}.",
    "Come the day {trig}, {plan}.",
    "If we reach the point where {trig}, {plan}.",
    "Depending on whether {trig}, {plan}.",
    "Unless {trig}, we keep {old}; if it does, {plan}.",
    "If {trig}, my fallback is that {plan}.",
    "{Plan} in the event that {trig}.",
    "Once {trig}, the plan is that {plan}.",
    "If {trig} happens, {plan}.",
    "{Plan} as soon as {trig}.",
    "We'll see; if {trig}, {plan}.",
    "If and when {trig}, {plan}.",
    "Suppose {trig}: then {plan}.",
)

# ---------------------------------------------------------------------------------------------------------------------
# Everything else: what most turns are. Facts, news (a change is not a retraction), small talk, questions,
# past stories with a reason in them, requests, and the assistant's own turns.
# ---------------------------------------------------------------------------------------------------------------------

FACTS = (
    "I live on Elder Street with two flatmates.", "Our main service is written in Go.",
    "My sister is a nurse in Cork.", "We use Grafana for dashboards.", "I play the cello on weekends.",
    "The release train leaves every second Tuesday.", "My favourite food is ramen.",
    "Our staging cluster runs on three nodes.", "I'm allergic to shellfish.", "I drive a blue Skoda.",
    "The kids go to Hillcrest Primary.", "We store invoices in a Postgres table.", "I run about 20 km a week.",
    "My manager is called Aisha.", "We have a standup at half nine.", "I'm reading a book about whales.",
    "The office is on the fourth floor.", "I started at the company in 2019.", "Our dog is a spaniel called Pip.",
    "The API gateway is Kong.", "I usually wake up around six.", "We ship the mobile app every two weeks.",
    "My partner works in logistics.", "I grew up near the coast.", "The database backups go to a cold bucket.",
    "I'm training for a half marathon in May.", "We keep secrets in Vault.", "I like jazz more than rock.",
    "Our team has five engineers and a designer.", "I take the 8:10 train most days.",
    "The on-call rotation is weekly.", "I have a meeting with the bank on Friday.",
    "Our biggest customer is a logistics firm.", "I prefer tea in the afternoon.",
    "The frontend uses React with Vite.", "I'm learning to bake sourdough.", "We moved the repo to GitLab in spring.",
    "My parents live in Bremen.", "The test suite takes twelve minutes.", "I'm vegetarian most of the week.",
)  # fmt: skip
NEWS = (
    "I moved to Bristol last week.", "We switched to GitHub Actions on Monday.", "I left the marketing team.",
    "My brother got married in June.", "We finally migrated the billing service.", "I started a new job today.",
    "The old Jenkins box was turned off yesterday.", "I sold my car last month.", "We hired a new SRE.",
    "I changed my phone number.", "My lease ended and I moved out.", "We upgraded the cluster to 1.29.",
    "I passed my driving test!", "The team lead left the company.", "We renamed the service to ledger.",
    "I joined a new climbing gym in town.", "The vendor raised prices by a third.", "I got a promotion.",
    "We merged the two repos.", "My daughter started school this week.", "The bridge closed for repairs.",
    "I bought a new laptop.", "We dropped support for IE.", "I quit my job at the bakery to study.",
    "Our office moved to the river side.", "I broke my wrist skiing.", "The grant came through!",
    "We replaced Redis with Valkey.", "I finished the course.", "The contract was renewed for a year.",
)  # fmt: skip
SMALL_TALK = (
    "Hi!", "Thanks, that's helpful.", "Good morning.", "Haha, fair enough.", "Okay, sounds good.",
    "How are you today?", "Sure, go ahead.", "That makes sense.", "I'm a bit tired today.", "Let's get started.",
    "Great, thanks a lot!", "Talk to you tomorrow.", "Cool.", "Not much, just busy with work.",
    "It's raining again here.", "I had a nice weekend.", "Yes, exactly.", "No worries.",
    "Can we pick this up later?", "I'll think about it.", "Wow, that was quick.", "Perfect.",
    "Sorry, I was away for a bit.", "Anyway, where were we?", "That's interesting.", "Right, okay.",
)  # fmt: skip
QUESTIONS = (
    "What time is my dentist appointment?", "Can you remind me what our CI runs on?",
    "Which gym did I say I go to?", "Do you remember my sister's name?", "What was the deadline again?",
    "How long does the deploy take?", "Why did we pick Kafka?", "When is the next release?",
    "Could you summarise what we decided?", "Where do the backups go?", "Who is on call this week?",
    "Is it going to rain tomorrow?", "What should I cook tonight?", "How do I rotate the API keys?",
    "Did I tell you about the trip?", "What do you know about my diet?", "What did I say about the budget?",
    "Can you forget about the meeting for a second and help me with this email?",
)  # fmt: skip
STORIES = (
    "I was late because the bus broke down.", "We rolled back because the migration locked the table.",
    "I missed the call since my phone was dead.", "The build failed because someone pushed a typo.",
    "I loved that trip because the weather was perfect.", "We cancelled the picnic because it rained.",
    "I stayed home yesterday since I had a cold.", "The deploy was slow because the cache was cold.",
    "We chose Go because the team already knew it.", "I was grumpy because I hadn't slept.",
    "When I was a kid we went to the lake every summer.", "If I had known, I would have called earlier.",
    "Back then we used to deploy by hand.", "When the outage hit, we paged everyone.",
    "Once the tests passed, we merged it.", "As I said, the meeting went fine.",
)  # fmt: skip
REQUESTS = (
    "Remind me to call the plumber tomorrow.", "Please remember that my wife's birthday is in March.",
    "Don't forget I have a dentist appointment on Friday.", "Keep a note that the server IP is 10.0.4.2.",
    "Can you write down that we agreed on Thursday?", "Make sure you remember my shoe size is 44.",
    "Note that the invoice number is 4471.", "Please save that the wifi password changed.",
    "I'll never forget that concert.", "Don't ignore the warning about the disk space.",
    "Please don't delete the staging data yet.", "Never stop reminding me about the taxes.",
    "Add the cabin trip to my plans.", "Track my running mileage for me.",
)  # fmt: skip
ASSISTANT = (
    "Got it, I'll remember that.", "Sure, here's a summary of what you told me.",
    "Understood, I've noted that you moved.", "Okay, I'll forget that.", "Thanks for the update!",
    "Happy to help with the email.", "Noted: the release is on Tuesday.", "Here are three recipe ideas.",
    "I don't have anything about that yet.", "Good luck with the half marathon!",
    "That sounds like a good plan.", "I've removed that from your notes.", "Let me check what I have on that.",
    "Would you like me to set a reminder?", "It depends on the traffic, but usually about 20 minutes.",
    "If the bridge closes, the ferry might be a good option.", "You mentioned the gym last week.",
)  # fmt: skip

# The words the cues read, used for something else.
NEAR_MISSES = (
    "I had to let go of it.", "Will you come? Don't count on it.", "I can't unsee that.",
    "Please ignore the noise in the background, I'm on a train.", "Drop the kids at school, it's on your way.",
    "Reset my password please.", "My life has changed since the baby arrived.", "Skip the intro, I've seen it.",
    "Scrub the pan with baking soda.", "Can you forget about the meeting for a second and help me with this email?",
    "I'd drop everything for my sister.", "She knows everything about horses, and she thinks my plan is wrong.",
    "I spent it all on the car, which was a mistake.", "The book that changed my life is Dune.",
    "My phone fell off the table and cracked.", "Toss it in the oven for twenty minutes.", "Don't throw out that box.",
    "Get rid of the weeds in the garden.", "The bakery I mentioned has a bin outside.",
    "I'll take it back to the library on Monday.", "Please disregard the noise in the background.",
    "I wish I could unsee the finale.", "Drop the kids at the party thing at six.",
    "Say hi to your mum - she'll love that.",
    "Are you coming? Then we leave at six.", "If I'm honest then I don't like him much.",
    "She's very fit considering her age.", "I'm down to my last twenty pounds.",
    "The restaurant is linked to the hotel next door.",
)  # fmt: skip


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(template: str, **slots: str) -> str:
    values = {**slots, **{_cap(k): _cap(v) for k, v in slots.items()}}
    return _cap(template.format(**values))


def _said(texts: list[str]) -> list[str]:
    return [f"{SPEAKERS[i % len(SPEAKERS)]}: {text}" for i, text in enumerate(texts)]


RETRACTIONS = _said(
    [_fill(t, topic=x) for t in RETRACTION_WITH_TOPIC for x in RETRACTION_TOPICS[::4]]
    + list(RETRACTION_ANAPHORIC)
    + [_fill(t, activity=x) for t in RETRACTION_ENDED for x in ENDED_ACTIVITIES[::4]]
)
DEPENDENCIES = _said([_fill(t, then=a, cond=b) for t in DEPENDENCY_TEMPLATES for a, b in DEPENDENCY_PAIRS[::3]])
PLANS = _said([_fill(t, trig=a, plan=b, old=c) for t in PLAN_TEMPLATES for a, b, c in PLAN_TRIPLES[::2]])
PLAIN = _said([*FACTS, *NEWS, *SMALL_TALK, *QUESTIONS, *STORIES, *REQUESTS, *NEAR_MISSES])


def _share(found: list[bool]) -> float:
    return sum(found) / len(found)


def test_retractions_in_other_words_are_read() -> None:
    found = [retraction_of(text) is not None for text in RETRACTIONS]
    missed = [t for t, f in zip(RETRACTIONS, found, strict=True) if not f]
    assert _share(found) >= REACH, f"{len(missed)} of {len(found)} not read, e.g. {missed[:5]}"


@pytest.mark.parametrize("kind, said", [("depends_on", DEPENDENCIES), ("replaces_if", PLANS)])
def test_dependencies_and_plans_in_other_words_are_read(kind: str, said: list[str]) -> None:
    """Read with both halves: what holds (or would follow) and a condition that is not all of it."""
    found = [
        (c := condition_of(text)) is not None and c.kind == kind and bool(c.then) and c.condition != c.then
        for text in said
    ]
    missed = [t for t, f in zip(said, found, strict=True) if not f]
    assert _share(found) >= REACH, f"{len(missed)} of {len(found)} not read as {kind}, e.g. {missed[:5]}"


def test_plain_turns_rest_on_nothing_and_plan_nothing() -> None:
    read = [(text, c.kind) for text in PLAIN + _said(list(ASSISTANT)) if (c := condition_of(text)) is not None]
    assert read == []


def test_plain_turns_take_nothing_back_except_an_ending_that_must_match_closely() -> None:
    """News of an ending ("I left the marketing team") is read as one: it takes back only a statement that
    shares two telling words with it (retraction.py), so a fact about the team goes and nothing else does."""
    read = [(text, cue) for text in PLAIN + _said(list(ASSISTANT)) if (cue := retraction_of(text)) is not None]
    assert [(text, cue) for text, cue in read if not cue.ended] == []
    assert len(read) <= 0.05 * len(PLAIN)


@pytest.mark.parametrize(
    "said, kind, condition, then",
    [
        ("Because the bridge is closed, I take the ferry.", "depends_on", "the bridge is closed", "i take the ferry"),
        ("We embed the docs because search needs them.", "depends_on", "search needs them", "we embed the docs"),
        ("I'd have to sell the car if I lost my job.", "replaces_if", "i lost my job", "i'd have to sell the car"),
    ],
)
def test_a_present_tense_is_not_a_story(said: str, kind: str, condition: str, then: str) -> None:
    """A past event is not a dependency ("we rolled back because ..."); a present that ends in -ed, a
    reason said first and a "would have to" are."""
    found = condition_of(f"Ann: {said}")
    assert found is not None and (found.kind, found.condition, found.then) == (kind, condition, then)
