"""How people take things back, make one thing depend on another and plan for a change, in plain words:
the offline cues the graph service reads from each new memory (no LLM). Each function reads one
statement and returns what it says, or None; deciding which older memory it is about is the
detectors' job (retraction.py, dependencies.py).

A memory's text may start with its speaker ("Dana: never mind that"), so no cue is anchored at the start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from somnia_graph_store import DependencyKind
from somnia_memory_model import content_keys, split_speaker

WithdrawnStatus = Literal["retracted", "deleted_by_user"]

# The readers are pure functions of the text, asked several times per memory by the detectors: remembered.
CACHED_TEXTS = 4096
# Where a clause that a pattern starts with may start: the text's start or after a sentence's end. The
# leftmost match starts there anyway; saying so lets every other position fail at once (a lazy clause
# tried from each character is quadratic).
LEAD = r"(?:^|[.;!?]\s*)"
# The rest of a clause: what a topic, a condition or a plan is made of.
CLAUSE = r"[^.;!?]+"
TOPIC = r"(?P<topic>[^.,;!?]+)"

# Phrases that point back at what was said before ("what I said about the gym", "the bit about my sister").
SAID = (
    r"(?:(?:what|everything|anything|all|the stuff|the things?) (?:that )?i(?:'ve)? (?:just |previously |earlier )?"
    r"(?:said|told you|mentioned|wrote|shared|put|noted|gave you)|"
    r"what you know|what you have|what you've got|that thing i said|the thing i said|my notes?|the info|"
    r"(?:everything|anything|all|nothing|none)(?: of what)? i (?:said|told you|mentioned)|"
    r"(?:anything|everything|whatever) you (?:have|know|remember|stored|kept|noted)(?: down)?|"
    r"the (?:part|bit|thing|stuff|note|info(?:rmation)?|detail|line|comment)s?(?: i (?:said|gave|mentioned))?|"
    r"my (?:earlier |last |previous )?(?:comment|message|note|point|remark)s?)"
)
WHEN_SAID = r"(?:\s+(?:earlier|before|previously|last time|the other day|yesterday|a while ago))?"
ABOUT = r"(?:about|on|regarding|re|concerning|for)"
# The topic runs to the end of its clause, or to the verb that judges it ("... about the gym is outdated").
TOPIC_REF = re.compile(
    rf"\b{SAID}{WHEN_SAID}\s+{ABOUT}\s+(?P<topic>[^.,;!?]+?)"
    r"(?=\s+(?:is|was|are|were|has|have|had|holds?|applies|stands|doesn'?t|does not|no longer|isn'?t|wasn'?t|can|"
    r"wrong|incorrect|withdrawn|void|on file|(?:from|off|out of|in) your)\b|"
    r"\s*[.,;!?]|$)"
)
# Words that withdraw what they point at: asking for it not to be kept, taking it back, or judging it.
ERASING = (
    r"\b(?:forget|delete|erase|remove|wipe|purge|discard|(?:don'?t|do not|no need to) "
    r"(?:keep|remember|store|save|record|note|log|hold on to|write (?:that|this|it) down|write down)|"
    r"(?:rather|prefer) you (?:didn'?t|did not|don'?t) (?:keep|remember|store|save|record)|"
    r"(?:hold off on|don'?t bother|do not bother) (?:remembering|keeping|storing|saving|recording)|"
    r"stop (?:remembering|storing|keeping(?: track of)?|tracking|noting))\b"
)
# Words that withdraw only what is named as said ("throw away what I told you about the gym"): on their
# own they toss salads and clear out garages.
DISCARDING = r"\b(?:throw away|throw out|bin|toss|chuck|clear out|cross out|cross off|get rid of|lose|ditch)\b"
TAKING_BACK = (
    r"\b(?:strike|scratch|disregard|ignore|cancel|undo|retract|withdraw|withdrawn|take (?:that |it )?back|unsay|"
    r"unlearn|scrap|never ?mind|pay no attention to|drop|void|null and void|pretend i never|"
    r"pretend i (?:didn'?t|did not) (?:say|mention)|let me take (?:that|it) back|forget i said anything|unsee)\b"
)
JUDGED = (
    r"\b(?:outdated|out of date|old news|old info|stale|obsolete|wrong|incorrect|untrue|not true|false|not right|"
    r"not correct|not accurate|not the case|invalid|a mistake|nonsense|"
    r"no longer (?:true|holds?|applies|the case|accurate|right|correct|valid|current|relevant)|"
    r"(?:holds?|applies|stands) any ?more|(?:none|nothing) of (?:that|it|this) (?:is|was) (?:true|right|correct)|"
    r"(?:it|that|this)(?:'s| has| is)? (?:all |totally |completely )?changed(?=(?: now| since)?\s*(?:[.,;!?]|$))|"
    r"no longer a thing|not a thing any ?more|(?:is|are|'s|'re) (?:now )?off the table|"
    r"(?:doesn'?t|does not|won'?t) (?:apply|hold|stand)|not (?:true|valid|current|right|relevant) any ?more|"
    r"(?:isn'?t|aren'?t|wasn'?t|weren'?t) (?:accurate|true|right|correct|valid|current|relevant|the case)|"
    r"inaccurate|misinformation|wrong info(?:rmation)?|no longer (?:applies|holds|stands)|doesn'?t apply|"
    r"a misunderstanding|a mix-?up|made up|bogus|garbled|mixed up)\b"
)
WITHDRAWING = re.compile(f"{ERASING}|{TAKING_BACK}|{JUDGED}|{DISCARDING}")
ERASE = re.compile(ERASING)
# Words people open a sentence with before what they mean: "fyi the X is ...", "soooo the Y isn't happening".
CHATTER = (
    r"(?:fyi|btw|oh|and|also|so+|ok(?:ay)?|update|actually|sorry|ps|heads up|eh|um+|well|ugh|lol|lmao|right|"
    r"anyway|just so you know|quick update|small update)[,:!\u2013\u2014-]*"
)
# Who else a sentence can be about: "my dad stopped driving" ends nothing of the speaker's.
PERSON = (
    r"(?:my|our|the) (?:dad|father|mum|mom|mother|parents?|son|daughter|kids?|children|brother|sister|wife|husband|"
    r"partner|boyfriend|girlfriend|friend|neighbou?r|boss|manager|colleague|coworker|aunt|uncle|cousin|"
    r"grand(?:ma|pa|mother|father|parents?)|nan|client|customer|landlord|doctor|teacher)\b"
)
# What marks a sentence as setting right what the speaker said before.
CORRECTING = (
    r"sorry|oops|whoops|actually|correction|my bad|my mistake|i meant|small fix|quick fix|typo|wait|apologies|"
    r"misspoke|mixed (?:it |that |them )?up|double-checked|just checked|confirmed|not me"
)
# "I've stopped going to Ironworks", "we're done with Jenkins", "no more pottery for me": the activity ends.
ENDED = r"(?P<topic>[a-z][^.,;!?:]*?)"
UNTIL = (
    r"(?=\s+(?:a while ago|recently|last \w+|for (?:a while|ages|months|years)|any ?more|now|these days|already|"
    r"so|since)\b|\s*[.,;!?]|$)"
)
STOPPED: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"\b(?:i|we)(?:'ve| have| had)?(?: (?:just|finally|since|now|already|actually))? "
        r"(?:stopped|quit|given up|gave up|dropped|ditched|abandoned|cancel+ed|ended|left|packed in|got rid of|"
        r"moved (?:away from|off)|walked away from|parted ways with|cut out|retired|binned|dumped|stepped away from|"
        r"stepped back from|stepped down from|phased out|switched off|turned off|shut down|wound down|killed|"
        r"come off|came off|"
        r"sunset|sunsetted|deprecated|decommissioned|scrapped|let go of|cancel+ed my|dropped out of|pulled out of|"
        r"pulled the plug on|bowed out of|backed out of|opted out of|unsubscribed from|shelved|axed|sold|gave away|"
        r"traded in) "
        rf"(?!by |at |in |for |to |off |out |up ){ENDED}{UNTIL}"
    ),
    re.compile(rf"\b(?:i'?m|i am|we'?re|we are) (?:done|finished|through) with {ENDED}{UNTIL}"),
    # a diary's dropped subject: "gave up the fasting thing", "stopped the Duolingo Japanese"
    re.compile(
        rf"(?:^|[.;!?]\s*)(?:{CHATTER}\s*)?(?:just |finally )?(?:stopped|quit|gave up|ditched|dropped|cancel+ed|ended|"
        rf"binned|packed in|came off|scrapped|shelved) (?!by |at |in |for |to |off |out |up ){ENDED}{UNTIL}"
    ),
    # "I'm dropping the AWS exam plan", "we're ditching Jenkins"
    re.compile(
        r"\b(?:i'?m|i am|we'?re|we are) (?:now |officially )?"
        rf"(?:dropping|quitting|ditching|giving up|scrapping|shelving|cancel+ing|abandoning|stopping) {ENDED}{UNTIL}"
    ),
    re.compile(rf"\bno more {ENDED}{UNTIL}"),
    # "not going to the climbing gym these days", "I'm off the night shifts now"
    re.compile(rf"(?:^|[:.,;!?]\s*)not {ENDED}(?:\s+(?:these days|any ?more|any longer|now))(?=[.,;!?]|$)"),
    re.compile(
        rf"\b(?:i'?m|i am|we'?re|we are) off (?!to\b|for\b|now\b){ENDED}(?:\s+(?:now|these days|for good))(?=[.,;!?]|$)"
    ),
    # "I haven't gone to choir in months"
    re.compile(
        rf"\b(?:i|we) (?:haven'?t|have not|hasn'?t) {ENDED}(?=\s+(?:(?:in|for) (?:months|ages|weeks|years|a while)|"
        r"since (?:spring|summer|autumn|fall|winter|christmas|easter|january|february|march|april|may|june|july|"
        r"august|september|october|november|december|last \w+|the \w+ ended))\b)"
    ),
    # "the Tuesday choir is a thing of the past", "our Jenkins box has been decommissioned"
    re.compile(
        r"(?:^|[:.,;!?]\s*)(?P<topic>[a-z][^.,;!?:]*?) (?:is|are|was|were|has been|have been|got) (?:now |finally )?"
        r"(?:a thing of the past|gone|cancel+ed|shut down|decommissioned|retired|scrapped|dropped|dead|finished|"
        r"wound down|lapsed|expired|over|discontinued|closed down|killed off|shelved|axed|canned|binned|"
        r"put on (?:hold|ice)|called off|abandoned|postponed indefinitely|on ice|off the cards)\b"
    ),
    # "remove the gym from your memory"
    re.compile(
        r"\b(?:remove|delete|erase|drop|wipe|take|strike|clear|scrub) (?P<topic>[a-z][^.,;!?:]*?) "
        r"(?:from|out of|off) (?:your |my |the )?(?:memory|notes|records?|list|file|history)"
    ),
    re.compile(
        rf"(?:^|[:.,;!?]\s*)(?:{CHATTER}\s*)?(?!{PERSON})(?P<topic>[a-z][^.,;!?:]*?)(?: is| are|'s|'re) "
        # at the end of its clause: "it's a reminder of London's history" is not over
        r"(?:over|finished|done|history)(?=\s*(?:[.,;!?:]|$)|\s+(?:now|fr|for good|anyway|btw|tbh|lol|already)\b)"
    ),
    # "the morning swims didn't last", "karate isn't a thing for me now"
    re.compile(r"(?:^|[:.,;!?]\s*)(?P<topic>[a-z][^.,;!?:]*?) (?:didn'?t|did not) last\b"),
    re.compile(
        rf"(?:^|[:.,;!?]\s*)(?:{CHATTER}\s*)?(?!{PERSON})(?P<topic>[a-z][^.,;!?:]*?) (?:isn'?t|is not|aren'?t|are not) "
        r"(?:a thing|happening)(?: for (?:me|us))?(?: now| any ?more| these days| after all)?\b"
    ),
    # "the gym membership lapsed", "the book club has wound down"
    re.compile(
        rf"(?:^|[:.,;!?]\s*)(?!{PERSON})(?P<topic>(?:the|my|our)\b[^.,;!?:]*?)(?:'s|'ve)? (?:has |have )?"
        r"(?:lapsed|expired|wound down|folded|finished|wrapped up|split up|broken up|broke up|disbanded|"
        r"fizzled out|closed down|shut down|been cancel+ed|been dropped|been discontinued|stopped|ran out|run out|"
        r"ended|been shut down|come to an end|came to an end)\b"
    ),
    re.compile(
        rf"\b(?:i|we)(?:'ve| have)? not been {ENDED}(?=\s+(?:for (?:a while|ages|months|years)|lately|any ?more))"
    ),
    re.compile(rf"\b(?:i'?m|i am|we'?re|we are) not {ENDED} any ?(?:more|longer)(?=[.,;!?]|$)"),
    re.compile(rf"\b(?:i'?m|i am|we'?re|we are) no longer {ENDED}{UNTIL}"),
    re.compile(rf"\b(?:i|we) (?:don'?t|do not) {ENDED} any ?more\b"),
    re.compile(rf"\b(?:i|we) no longer {ENDED}{UNTIL}"),
    re.compile(rf"(?:^|[:.,;!?]\s*)no longer (?P<topic>[a-z]+ing\b[^.,;!?:]*?){UNTIL}"),
)
TOPIC_RETRACTIONS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\bnever ?mind (?:about )?{TOPIC}"),
    # "scratch the part where I said I like jazz"
    re.compile(
        rf"\bthe (?:part|bit) where i (?:said|mentioned|told you)(?: that)? (?P<topic>[^.,;!?]+)"
        rf"(?=[^.;!?]*(?:{TAKING_BACK}|{ERASING}|{JUDGED}))"
    ),
    re.compile(
        rf"(?:{TAKING_BACK}|{ERASING})[^.;!?]*?\bthe (?:part|bit) where i (?:said|mentioned|told you)(?: that)? "
        r"(?P<topic>[^.,;!?]+)"
    ),
    # "that gym thing I mentioned, ignore it"
    re.compile(
        r"\b(?:the|that|my) (?P<topic>[^.,;!?:]+?) (?:thing|stuff|bit|info|note|detail|comment|point)?\s*"
        rf"(?:that )?i (?:mentioned|said|told you|brought up|shared|wrote)[^.;!?]*(?:{TAKING_BACK}|{ERASING}|{JUDGED})"
    ),
    # "about the dentist: not true anymore", "re the release date, disregard what I wrote"
    re.compile(
        rf"(?:^|[.;!?]\s*)(?:about|re|regarding|as for|on(?! (?:second|reflection|balance|top)\b)|update on|"
        rf"correction on) (?P<topic>[^:,.;!?]+)[:,]\s*"
        rf"[^.;!?]*(?:{TAKING_BACK}|{ERASING}|{JUDGED})"
    ),
    # "the landlord info? outdated."
    re.compile(rf"(?:^|[.;!]\s*)(?P<topic>(?:the|my|our)\b[^.,;!?:]*?)\?\s*(?:{JUDGED}|{TAKING_BACK}|{ERASING})"),
    # "consider the note about my sister withdrawn", "pretend I never said anything about the car"
    re.compile(
        r"\bconsider (?:the |my )?(?:note |bit |part |comment |info )?(?:about |on )?(?P<topic>[^.,;!?]+?) "
        r"(?:withdrawn|void|deleted|cancel+ed|retracted|gone)"
    ),
    re.compile(rf"\bnever (?:said|mentioned|told you)(?: anything)? (?:about|regarding) {TOPIC}"),
    re.compile(rf"\bpretend i never (?:brought up|raised|talked about|said anything about|mentioned) {TOPIC}"),
    # "everything about the cabin trip was a mistake", "nothing about my diet holds any more"
    re.compile(
        r"\b(?:everything|anything|all|nothing|none) (?:i (?:said|told you|mentioned) )?(?:about|regarding) "
        rf"(?P<topic>[^.,;!?]+?) (?:is|was|are|were|holds?|applies)\b[^.,;!?]*{JUDGED}"
    ),
    # "unlearn the landlord detail", "drop the budget info"
    re.compile(
        r"\b(?:unlearn|forget|delete|erase|scrap|scratch|strike|ignore|disregard|remove|bin) the (?P<topic>[^.,;!?]+?) "
        r"(?:detail|info|information|note|entry|thing|stuff|bit|part|comment|point|story|business|remark)s?\b"
    ),
    re.compile(
        r"\b(?:unlearn|forget) (?:everything|anything|all|the (?:thing|stuff|bit|part)s?) "
        rf"(?:about|regarding|on) {TOPIC}"
    ),
    # "my gym info is outdated", "the part about the flat isn't true any more", "the commute stuff no longer applies"
    re.compile(
        rf"(?:^|[:.,;!?]\s*)(?:{CHATTER}\s*)?(?P<topic>(?:the|my|our|that|what)\b[^.,;!?:]*?) "
        r"(?:(?:is|are|was|were|isn'?t|aren'?t) )?"
        rf"(?:now |actually |no longer |not )?{JUDGED}"
    ),
    re.compile(rf"\b(?:i was|i've been|i got it) wrong (?:about|on|regarding) {TOPIC}"),
    re.compile(rf"\b(?:jk|just kidding|only kidding|i was (?:just )?kidding|i was joking) (?:about|re|on) {TOPIC}"),
    re.compile(
        r"\bi (?:got|had) (?P<topic>(?:the|my|our) [^.,;!?]+?) (?:all |completely |totally |a bit )?"
        r"(?:wrong|mixed up|muddled|backwards)\b"
    ),
    re.compile(rf"\b(?:i misspoke|i was mistaken|i got (?:it|that) wrong) (?:about|on|regarding) {TOPIC}"),
    re.compile(
        rf"\bcorrection (?:on|about|to|re|regarding) (?P<topic>[^:,.;!?]+)[:,]?[^.;!?]*(?:{TAKING_BACK}|{ERASING})"
    ),
    # "purge anything related to my sleep schedule", "disregard my sleep schedule"
    re.compile(
        rf"(?:{ERASING}) (?:(?:anything|everything|all)\s?)?(?:(?:related to|about|regarding|concerning|on) )?"
        r"(?P<topic>(?:my|the|our) [^.,;!?]+?)(?=\s+(?:from|off|out of) (?:your|my|the)\b|\s*[.,;!?]|$)"
    ),
    re.compile(r"\b(?:disregard|unsee) (?P<topic>(?:my|our) [^.,;!?]+?)(?=\s*[.,;!?]|$)"),
    # "ignore my sleep schedule, that's all changed now"
    re.compile(
        rf"(?:{TAKING_BACK}|\blet go of) (?P<topic>(?:my|the|our) [^.,;!?]+?)\s*[,;:\u2013\u2014-]+\s*[^.;!?]*{JUDGED}"
    ),
    re.compile(
        r"\b(?:don'?t|do not) (?:count|rely) on what i (?:said|told you|mentioned|wrote) (?:about|regarding|on) "
        rf"{TOPIC}"
    ),
    re.compile(r"\breset what you (?:know|have|remember) (?:about|on|regarding) (?P<topic>[^.,;!?]+)"),
    # "def not my fave anymore", "Ingrid's not my manager any more"
    re.compile(
        r"\b(?:isn'?t|is not|'s not|are not|aren'?t|'re not|not) (?:really )?(?P<topic>(?:my|our) [^.,;!?]+?) "
        r"any ?(?:more|longer)\b"
    ),
    # "don't count the Alicante place", "please don't list him as my mentor anymore"
    re.compile(
        r"\b(?:don'?t|do not) (?:count|include|factor in|list|mention) (?:(?:him|her|them) as )?"
        r"(?P<topic>(?:the|my|our) [^.,;!?\u2014]+?)(?=\s*(?:[.,;!?\u2013\u2014-]|$)|\s+(?:any ?more|any longer|now)\b)"
    ),
    re.compile(r"\b(?:forget|ignore|disregard) about (?P<topic>[^.,;!?]+)"),
)
# What points back at the statement just before ("don't keep that", "that's wrong").
THAT = (
    r"(?:that|this|it|me|what i just said|i said that|i said it|i mentioned (?:that|it)|i brought (?:that|it) up|"
    r"that one|that bit|the above|(?:that|the|my) (?:last|previous) (?:bit|part|one|message|comment|note|point|remark)|"
    r"the last thing i said)"
)
BACK_RETRACTIONS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?:{ERASING}|{TAKING_BACK}) {THAT}\b"),
    re.compile(
        r"\b(?:that'?s|that is|this is|it'?s|that was|this was|that one'?s) "
        rf"(?:now |actually |all |totally |completely )?{JUDGED}"
    ),
    re.compile(
        r"\b(?:(?:i|let me|i'?ll|i want to|i'?d like to) take (?:that|it) back(?!\s+(?:to|from|home|in|on)\b)|"
        r"i misspoke|my mistake|my bad|brain fart|i misinformed you|i stand corrected|i made (?:a )?mistake|"
        r"i (?:had|got) (?:that|it|this|those|them) (?:all |completely |totally )?(?:wrong|mixed up|backwards)|"
        r"i mixed (?:that|it|this|them|those) up)\b"
    ),
    re.compile(r"\b(?:don'?t|do not|no need to) (?:write|note|jot|put) (?:that|this|it) down\b"),
    re.compile(r"(?:^|[.;!?]\s*)take (?:that|it) back\b"),
    # "a fair bit more than I said", "amendment to my earlier note:", "they pushed it two weeks"
    re.compile(
        r"\b(?:more|less|fewer|bigger|smaller|older|younger|later|earlier) than i (?:said|told you|mentioned)\b"
    ),
    re.compile(r"\bamendment to (?:my|the) (?:earlier|last|previous) (?:note|message|comment|entry)\b"),
    re.compile(
        r"\b(?:pushed|moved|bumped|postponed|delayed|rescheduled|brought)(?: it| the \w+)?(?: back| out| forward)? "
        r"(?:by |to )?(?:a |one |two |three |four |a couple of |\d+ )?(?:weeks?|days?|months?)\b"
    ),
    re.compile(
        r"\b(?:don'?t|do not|pls don'?t|please don'?t) (?:go by|rely on|count on|use|trust|remeber|rember) "
        r"(?:that|this|what i (?:said|told you|wrote)(?: before| earlier)?)(?=\s*(?:[.,;!?]|$|please|pls|either))"
    ),
    # a correction that gives the right value: "sorry, Noor is 9, not 7", "it's the 27th, not the 22nd"
    re.compile(
        # anchored: the look-ahead is tried once, not from every character of a long text
        rf"^(?=.*\b(?:{CORRECTING})\b).*\b(?:is|are|was|were|'s|'re|it'?s|on|at|in)\s+[^,.;!?]{{1,40}}?,?\s+not\s+"
        r"(?:the |a |an |in |on |at |me\b)?[^,.;!?]{1,40}"
    ),
    re.compile(r"\bforget (?:i (?:ever )?(?:said|mentioned)) (?:anything|that|it)\b"),
    re.compile(r"(?:^|: )never ?mind[.!]*$"),
    # "Wrong, sorry.", "Nope, not true.", "Sorry, wrong info."
    re.compile(rf"^(?:(?:sorry|nope|no|hmm|oops|wait|actually|correction)[,:!]?\s+)*{JUDGED}[,.!]*(?:\s+sorry)?[.!]*$"),
)


@dataclass(frozen=True)
class Retraction:
    """A statement takes something back: about `topic`, or (empty topic) the statement just before it.
    `ended` marks an activity said to have ended ("I left the book club"): such words also describe
    things that end nothing ("I left my keys at work"), so the statement it takes back must match closely.
    `named` says the topic is the phrase the speaker named it by, so a name in it identifies what is taken
    back; a topic that is the whole statement (speech_acts.py) names whatever else the speaker mentioned."""

    status: WithdrawnStatus
    topic: str = ""
    ended: bool = False
    named: bool = True


# "I'll never forget that day", "don't forget the milk": the opposite of taking something back.
NEGATED = re.compile(
    r"\b(?:never|won'?t|will not|can'?t|cannot|couldn'?t|didn'?t|wouldn'?t|don'?t|do not|not) (?:ever )?"
    r"(?:forget|ignore|disregard|drop|delete|erase|remove|quit|stop|give up|unsee)\b"
    # "forget about the meeting for a second", and an assistant's "okay, I'll forget that"
    r"|\b(?:forget|ignore) (?:about )?[^.;!?]*\bfor (?:a|one) (?:second|moment|minute|bit)\b"
    r"|\b(?:i'?ll|i will|i'?m going to) (?:forget|delete|remove|erase|ignore|disregard|drop) (?:that|it|this)\b"
    # "don't let anything stop you": encouragement
    r"|\b(?:don'?t|do not|never) let (?:anything|anyone|nothing|that|it|them|this) (?:stop|end|ruin)\b"
)


# Words of withdrawing that take back nothing the speaker said: a question ("what happens to my data if I
# delete the app?"), a file or record in some system ("delete the old migrations folder"), the listener's
# mistake ("you're wrong about the train times"), a deed ("I was wrong to snap at him").
NOT_TAKING_BACK = re.compile(
    r"(?:^|[.;!?]\s*)(?:what(?! i (?:said|told|mentioned|wrote|gave))|how|why|when|where|which|who|should i|"
    r"shall i|is it|will it|would it)\b[^.;!?]*\?"
    r"|^(?!.*\b(?:memory|notes|remember|you know|you have|i (?:said|told|gave|mentioned)|about me)\b)"
    r".*\b(?:delete|remove|erase|wipe|purge|clear)\b[^.;!?]*\b(?:folder|files?|branch|repo|directory|app|account|"
    r"rows?|table|bucket|cache|logs?|photos?|pictures?|backups?|builds?|containers?|tickets?|drafts?)\b"
    r"|\byou(?:'re| are| were) (?:wrong|mistaken)\b|\bwrong to (?!say|tell|mention)\w+"
)


# "Python 3.8" is not the end of a sentence: a dot between digits is read as another character, and
# given back in what the cues return.
DECIMAL = re.compile(r"(?<=\d)\.(?=\d)")
DOT = "\u2024"


def _said(text: str) -> str:
    return DECIMAL.sub(DOT, " ".join(split_speaker(text)[1].lower().split()))


@lru_cache(maxsize=CACHED_TEXTS)
def retraction_of(text: str) -> Retraction | None:
    said = _said(text)
    if NEGATED.search(said) or NOT_TAKING_BACK.search(said):
        return None
    status: WithdrawnStatus = "deleted_by_user" if ERASE.search(said) else "retracted"
    referred = TOPIC_REF.search(said)
    if referred is not None and WITHDRAWING.search(said):
        return _about(status, referred["topic"])
    for pattern in TOPIC_RETRACTIONS:
        found = pattern.search(said)
        if found is not None:
            return _about(status, found["topic"])
    for pattern in STOPPED:
        found = pattern.search(said)
        if found is not None:
            ended = _about(status, found["topic"])
            return Retraction(status, ended.topic, ended=bool(ended.topic))
    if any(pattern.search(said) for pattern in BACK_RETRACTIONS):
        return Retraction(status)
    return None


def _about(status: WithdrawnStatus, topic: str) -> Retraction:
    topic = topic.strip().replace(DOT, ".")
    if not content_keys(topic):
        return Retraction(status)  # "that's", "that one's": it points back
    return Retraction(status) if POINTING.fullmatch(topic) else Retraction(status, topic)


# A topic that names nothing but what was just said: "my last message", "the previous bit".
POINTING = re.compile(
    r"that|this|it|that one|the above|(?:the|my|that|this) (?:last|previous|earlier|above) "
    r"(?:one|bit|part|message|comment|note|point|remark|sentence|line|text|thing i said)|the last bit|the last one"
)


# Where a clause without a comma starts: its subject ("... on this team I keep ...").
SUBJECT = r"(?:i|we|they|you|he|she|my|our)\b(?!'m|'re|'s)"
# What makes a dependency rather than a plain reason: a limiting word ("only", "just") before a reason,
# or a condition that bounds it in time ("as long as", "while", "until").
LIMITED = r"(?:only|just|mainly|mostly|purely|solely|simply)"
# "because" as people type it: "cos", "cuz", "b/c" ("i skip the bus cos data's tight").
BECAUSE = r"(?:because|'cause|cos|coz|cuz|b/c)"
REASON = rf"(?:{BECAUSE}|since|as|cause|due to|thanks to|given that|seeing as)"
# "since" of time, not of reason: "since we last talked", "since I moved here".
PAST_SOON = (
    # not across a modal, "be" or a verb in the present: "since Marmalade can't be left alone", "since the bridge
    # is closed", "since the reviewer needs protected time" are reasons
    r"(?:(?!(?:can|can't|cannot|could|couldn't|must|won't|will|would|should|be|is|isn't|are|aren't|needs?|wants?|"
    r"requires?|does|makes|keeps|gets|likes|uses|takes|means)\s)[\w']+\s+){0,3}?"
    # ("need" ends in "ed" and is the present: "since newer releases need a newer Python" is a reason)
    r"(?!need\b)(?:\w+ed|was|were|spoke|met|saw|began|got|left|came|went|ago|lost|had|made|did|took|found|last|"
    r"childhood|forever|then)\b"
)
# "since" of time, not of reason: "since Monday", "since last year".
NOT_A_REASON = (
    r"(?:then|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|last|yesterday|\d+|the (?:start|beginning|end)|early|late)\b"
)
# "As long as I can remember, Dad's had a vegetable patch" bounds nothing.
NOT_A_BOUND = r"(?!(?:for )?as long as (?:i|we|anyone|you) (?:can |could )?(?:remember|recall)\b)"
BOUND = (
    rf"{NOT_A_BOUND}(?:as long as|so long as|for as long as|only (?:as long as|while|when|if)|provided(?: that)?|"
    r"assuming(?: that)?|"
    r"on condition that|while(?! \w+ing\b)|until|till|for the duration of)"
)
# What an arrangement is made around: "to accommodate the budget meeting", "to fit around the school run".
ARRANGED_AROUND = r"(?:accommodate|fit around|work around|make room for|make time for|keep up with|cover for)"
DEPENDS: tuple[re.Pattern[str], ...] = (
    # "I only go to Ironworks because it's near my flat"
    re.compile(rf"{LEAD}(?P<then>[^.;!?]*?\b{LIMITED}\b[^.;!?]*?)\s*,?\s*\b{REASON}\s+(?P<condition>{CLAUSE})"),
    # a plain reason: "we pin numpy because (or since) newer releases need a newer Python"
    re.compile(rf"{LEAD}(?P<then>[^.;!?]*?)\s*,?\s*\b{BECAUSE}\s+(?!of\b)(?P<condition>{CLAUSE})"),
    re.compile(rf"{LEAD}(?P<then>[^.;!?]*?)\s*,?\s*\bsince\s+(?!{NOT_A_REASON})(?!{PAST_SOON})(?P<condition>{CLAUSE})"),
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]*?)\s*,?\s*"
        rf"\b(?:{BECAUSE} of|due to|owing to|on account of|thanks to|seeing as|given (?:how|the way)|"
        r"(?:all|mostly|mainly|largely|purely|entirely|partly|it'?s) down to|"
        r"for the (?:simple |sole |only )?reason that|"
        r"seeing that|on the basis that|on the grounds that|in view of the fact that|in light of the fact that|"
        r"now that|given the fact that)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "because the bridge is closed, I take the ferry"; "since my knee is bad, I swim"; "given that ..., ..."
    re.compile(rf"^(?:because|given(?: that)?|{BOUND}|seeing as)\s+(?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"),
    re.compile(rf"^since\s+(?!{NOT_A_REASON})(?!{PAST_SOON})(?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"),
    # what a habit is said to stand on, said first: "thanks to the SDK, I keep Node 16", "with the rate locked,
    # I put spare cash into the ISA", "being in Lagos, I take the 3pm stand-up"
    re.compile(
        r"^(?:(?:and|so|but|plus) )?(?:thanks to|due to|owing to|because of|cos of|given|in light of|in view of|"
        r"now that|by virtue of|with|being|as a result of|what with|"
        rf"(?:in order |so as )?to (?:satisfy|meet|comply with|{ARRANGED_AROUND}))\s+"
        r"(?!that said\b|all that\b|that\b,|this\b,|respect\b|regards?\b)"
        rf"(?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"
    ),
    # "as I'm serving in Kano, I've rented a room near the secretariat", not "as I said, ..."
    re.compile(
        r"^as (?!(?:i|we|you|he|she|they) (?:said|mentioned|told|discussed|noted|explained|promised|expected|thought|"
        r"suspected|feared|hoped|guessed|know|knew|say|see|saw|recall|remember)\b|usual\b|always\b|well\b|for\b|"
        rf"soon\b|long\b|far\b|if\b|much\b|a\b)(?P<condition>[^,;.!?]+),\s*(?P<then>{SUBJECT}{CLAUSE})"
    ),
    # "working on Berlin time, I've moved my gym sessions to 7am"; "living next door, I do the repairs myself"
    re.compile(
        r"^(?!(?:speaking|talking|looking|having|judging|considering|going|getting|moving|coming|seeing|"
        r"thinking|being honest|joking|kidding)\b)(?P<condition>\w+ing\b[^,;.!?]+),\s*"
        rf"(?P<then>{SUBJECT}{CLAUSE})"
    ),
    # "the stipend is why I can afford the room"; "it's my brother's support that allows me to stay in the
    # hostel"; "the residency rule is the only thing keeping me in this flat"
    re.compile(
        rf"{LEAD}(?:it'?s |it is )?(?P<condition>[^.;!?]+?)\s+(?:is|are|'s|'re) (?:the (?:only |main |one )?"
        r"(?:thing|reason|way) (?:keeping|that keeps|letting|that lets|(?:i|we) can|that allows)|why|"
        r"what (?:lets|allows|permits|enables|keeps|makes))\s+(?P<then>"
        rf"{CLAUSE})"
    ),
    re.compile(
        rf"{LEAD}(?:it'?s |it is )?(?P<condition>[^.;!?]+?)\s+(?:that )?(?:allows|permits|enables|forces|"
        rf"necessitates|requires) (?:me|us|him|her|them|my|our)\b(?P<then>{CLAUSE})"
    ),
    # "no tax credit, no juniors"
    re.compile(r"(?:^|[.;!?:\u2013\u2014-]\s*|,\s*)no (?P<condition>[\w' ]+), no (?P<then>[\w' ]+)"),
    # "the dining table being my desk, we eat in the kitchen"; "... into the tax pot, being self-employed"
    re.compile(rf"^(?P<condition>(?:the|my|our|his|her|their) [^,;.!?]+? being [^,;.!?]+),\s*(?P<then>{CLAUSE})"),
    re.compile(rf"{LEAD}(?P<then>[^.;!?]+?),\s*being (?P<condition>{CLAUSE})"),
    # what it is arranged around: "Monday teaching moved to the afternoon to accommodate the budget meeting" (not
    # any purpose: "I wanna start a studio so I can teach others" is a wish, and its words come back in every
    # later turn about dancing)
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]*?)\s*,?\s*\bto (?:{ARRANGED_AROUND}|be free for|be there for)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "Mabel's separation anxiety means I come home at lunch"; "the new visa means that I can't freelance"
    re.compile(rf"{LEAD}(?P<condition>[^.;!?]+?)\s+means (?:that )?(?P<then>{SUBJECT}{CLAUSE})"),
    # "packing gym clothes only makes sense with the gym downstairs"
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]+?)\s+(?:only|just) (?:makes sense|works|holds|happens|is possible|is doable|"
        rf"(?:is )?worth it) "
        rf"(?:with|while|as long as|because|if|when|since|given)\s+(?P<condition>{CLAUSE})"
    ),
    # "dinners are all veggie for Rafi's sake"
    re.compile(rf"{LEAD}(?P<then>[^.;!?]+?)\s+for (?:the sake of )?(?P<condition>[^.;!?]+?)(?:'s)? sake\b"),
    # "I eat before my run, otherwise the metformin wrecks my stomach": what it guards against
    # ("otherwise there'd be no point" guards against nothing: it says the reason was given)
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]+?)[,;]\s*(?:otherwise|or else)\s+"
        r"(?!(?:there(?:'d| would)|it(?:'d| would)) be (?:no point|pointless)|what'?s the point|why bother)"
        rf"(?P<condition>{CLAUSE})"
    ),
    # a purpose that the habit serves alone: "we pay for Datadog only to monitor the legacy stack", "the staging
    # cluster exists mainly so that QA can test releases"; when the purpose goes, so may the habit
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]*?)\s*,?\s*\b{LIMITED}\s+(?:so that|so|to|in order to|for the sake of)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "I'm at the Leeds office, contingent on the relocation package"; "subject to the review"
    re.compile(
        rf"{LEAD}(?P<then>{CLAUSE}?)\s*,?\s*\b(?:contingent on|conditional on|dependent on|subject to|given that|"
        rf"purely for|only for|just for)\s+(?P<condition>{CLAUSE})"
    ),
    # "my rent is low, hence I can afford the car"; "the office is close, so I cycle"
    re.compile(
        rf"{LEAD}(?P<condition>[^.;!?]+?),?\s+(?:hence|therefore|thus|that'?s why|which means|which is why|"
        rf"so that'?s why|and so)\s+(?P<then>{CLAUSE})"
    ),
    re.compile(rf"{LEAD}(?P<condition>[^.;!?]+?),\s+so\s+(?P<then>{SUBJECT}{CLAUSE})"),
    # "the audit requirement is the only reason we use Kafka"
    re.compile(
        rf"{LEAD}(?P<condition>[^.;!?]+?) (?:is|are) the (?:only |main |sole )?reason (?:why |that )?(?P<then>{CLAUSE})"
    ),
    # "we use Redis, which only makes sense while traffic is low"
    re.compile(
        rf"{LEAD}(?P<then>{CLAUSE}?),?\s+which only (?:makes sense|works|holds) (?:while|as long as|because|if)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "the only reason I go to Ironworks is (that) it's near my flat"
    re.compile(
        rf"\bthe (?:(?:only|main|sole|whole|real|one) )?reason (?:why |that )?(?P<then>{CLAUSE}?) is "
        rf"(?:that |because )?(?P<condition>{CLAUSE})"
    ),
    # "the office is close. That's the only reason I cycle", "... that's why I cycle"
    re.compile(
        rf"{LEAD}(?P<condition>[^.;!?]+?)[.;]\s*(?:that'?s|that is|this is) "
        rf"(?:the (?:only |main |whole |sole )?reason|why)(?: why| that)?\s+(?P<then>{CLAUSE})"
    ),
    # "I cycle - the office is close, that's why", "I cycle. The reason: the office is close."
    re.compile(rf"{LEAD}(?P<then>[^.;!?]+?)\s+[-\u2013\u2014]\s+(?P<condition>[^.;!?]+?),?\s+that'?s why\b"),
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]+?)(?:[.;:]|,? and|,? but)\s*the (?:only |main )?reason(?: is)?:?\s+(?:that\s+)?"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "if it weren't for the office being close, I wouldn't cycle"
    re.compile(
        r"\bif (?:it (?:weren'?t|wasn'?t|were not|was not)|not) for (?:the fact that )?"
        rf"(?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"
    ),
    # "I cycle, and that's tied to the fact that the office is close"; "...; that's down to the farm shop
    # delivering"; "we own the dashboards, which follows from us owning the service"
    re.compile(
        rf"(?:^|[.!?]\s*)(?P<then>[^.;!?]+?)[,;]?\s+(?:and )?(?:(?:that'?s|that is|which is|it'?s|it is) "
        rf"(?:tied|linked|down|owed) to|(?:which|that|this|it) (?:follows|comes|stems) from) (?:the fact that )?"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "I cycle, and the only thing keeping that going is that the office is close"
    re.compile(
        rf"{LEAD}(?P<then>{CLAUSE}?),?\s+(?:and )?the only thing (?:keeping|that keeps) (?:that|it|this) going is "
        rf"(?:that )?(?P<condition>{CLAUSE})"
    ),
    # "as long as I'm on this team, I keep the early shift"
    re.compile(rf"\b{BOUND}\s+(?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"),
    # the same without the comma: "as long as I'm on this team I keep the early shift"
    re.compile(rf"\b{BOUND}\s+(?P<condition>[^,;.!?]+?)\s+(?P<then>{SUBJECT}{CLAUSE})"),
    # "I keep the early shift as long as I'm on this team"
    re.compile(rf"{LEAD}(?P<then>{CLAUSE}?)\s*,?\s*\b{BOUND}\s+(?P<condition>{CLAUSE})"),
    # "without the discount, I'd drop the gym"
    re.compile(rf"\bwithout (?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"),
    # "it's near my flat, which is (the only reason) why I go to Ironworks"
    re.compile(
        rf"{LEAD}(?P<condition>{CLAUSE}?),?\s+(?:which|that)(?:'s| is) (?:the (?:only |main )?reason )?why "
        rf"(?P<then>{CLAUSE})"
    ),
    # "I go to Ironworks, but only because it's near my flat" / "... depends on ..."
    re.compile(
        rf"{LEAD}(?P<then>{CLAUSE}?)\s*,?\s*\b(?:depends|depending|hinges|relies|is tied|is conditional|is contingent|"
        r"comes down|is down|is thanks|is due|only works|works only)(?: entirely| completely| only)? (?:on|to|while)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
)
# A plan for a change: the condition, then what would follow, said as a plan (a modal or "instead").
PLAN = (
    r"(?:i'?d|we'?d|i would|we would|i'?ll|we'?ll|i will|we will|i'?m going to|we'?re going to|i plan to|"
    r"(?:she|he|they|you|it)'ll|(?:she|he|they|you) will|(?:she|he|they)'d|(?:she|he|they) would|"
    r"we plan to|would|will|go too|goes too|gonna|intend to|shall|the plan is|fallback|"
    # "I'm taking the coach", "im just going to the gig", "he's coming with us", "the kids are going to share"
    r"(?:i'?m|we'?re)(?: \w+ly| just)? \w+ing|(?:is|are) going to|"
    r"(?:he|she|they|the \w+)(?:'s| is|'re| are) (?:coming|moving|staying|taking|getting|switching|changing|going)|"
    r"plan b|worst case)"
)
# Conditional words strong enough that what follows them is a plan even without a modal.
# Not "provided" or "assuming": "provided I'm on this team, I keep the early shift" states what a habit rests on
# (DEPENDS, through BOUND); with a modal ("assuming I move, I'd sell the car") it is still a plan, through WHEN.
# "In case you're wondering, the intern is Tobiah" tells, it plans nothing.
NOT_A_CASE = r"(?!in case (?:you|anyone)(?:'re| are| were)? (?:wondering|curious|asking|forgot|missed)\b)"
SURELY_CONDITIONAL = (
    rf"{NOT_A_CASE}(?:should|once|in case(?: of)?|in the event(?: that| of)?|if ever|if and when|supposing|"
    r"as soon as|the (?:day|moment|minute|second)(?: that)?|come|worst case,? if|pending)"
)
WHEN = (
    # "if it weren't for the county job, I'd be in Limerick" says what a life rests on (DEPENDS), not a plan
    rf"{NOT_A_CASE}(?:should|if(?! it (?:weren'?t|wasn'?t|were not|was not) for\b| not for\b)|once|when|whenever|"
    r"in case|as soon as|the (?:day|moment|minute|second)(?: that)?|if ever|assuming|supposing|provided|"
    r"in the event(?: that)?|on the day|let'?s say|pending)"
)
# "after" that belongs to its verb and starts no condition: "I'm gonna keep chasing after those dreams",
# "she looks after the kids".
NOT_A_PARTICLE = "".join(
    f"(?<!{verb} )"
    for verb in (
        "chase", "chases", "chasing", "chased", "look", "looks", "looking", "looked", "go", "goes", "going",
        "went", "run", "runs", "running", "ran", "take", "takes", "taking", "took", "named", "asked", "seek",
        "seeking", "lust", "lusting", "hanker", "hankering", "clean", "cleaning", "tidy", "tidying",
    )
)  # fmt: skip
REPLACES: tuple[re.Pattern[str], ...] = (
    # "should the lease end, I move in with my sister"
    re.compile(rf"\b{SURELY_CONDITIONAL}\s+(?P<condition>[^,:;.!?]+)[,:]\s*(?:then\s+)?(?P<then>[^.;!?]+)"),
    # "should I change jobs, I'd take the train instead"
    re.compile(rf"\b{WHEN}\s+(?P<condition>[^,:;.!?]+)[,:]\s*(?:then\s+)?(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*)"),
    # "backup plan for when traffic doubles: we'll put a CDN in front"
    re.compile(rf"\b{WHEN}\s+(?P<condition>[^,:;.!?]+):\s*(?:the \w+ is(?: that)?\s+)?(?P<then>[^.;!?]+)"),
    # the same without the comma: "once we switch to Postgres we'll drop the scripts"
    re.compile(
        rf"\b{WHEN}\s+(?P<condition>[^,;.!?]+?)\s+(?P<then>(?={SUBJECT}|i'?m |we'?re )[^.;!?]*\b{PLAN}\b[^.;!?]*)"
    ),
    # "only if the client signs by Friday will I put Dariusz on it"
    re.compile(
        r"\b(?:only )?(?:if|once|when|after)\s+(?P<condition>[^,;.!?]+?),?\s+"
        rf"(?P<then>(?:will|would|shall|can|could) (?:i|we|he|she|they|you)\b{CLAUSE})"
    ),
    # "I stick with Ledgerly unless they raise prices again, in which case I'm moving to Tallyhouse"
    re.compile(rf"\b(?:unless|if)\s+(?P<condition>[^,;.!?]+),?\s+in which case,?\s+(?P<then>{CLAUSE})"),
    # "worst case the flight gets cancelled and I'd take the train"
    re.compile(
        r"\b(?:worst case|failing that)[,:]?\s+(?P<condition>[^,:;.!?]+?),?\s+and\s+"
        rf"(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*)"
    ),
    # "my plan if the bridge closes is to take the ferry"
    re.compile(
        r"\b(?:my|our|the) (?:plan|idea|backup|fallback|contingency)(?: \w+)? (?:if|for when|in case|should|once|when) "
        rf"(?P<condition>[^,;.!?]+?) is (?:that |to )?(?P<then>{CLAUSE})"
    ),
    # "the bridge closes? then I'll take the ferry"; "say the bridge closes - then I'll take the ferry"
    re.compile(rf"(?:^|[.;!]\s*)(?P<condition>[^.;!?]{{1,160}})\?\s*then,?\s+(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*)"),
    re.compile(
        r"(?:^|[.;!?:]\s*)(?:say|suppose|let'?s say)\s+(?P<condition>(?:(?!\s[-\u2013\u2014]\s)[^,:;.!?]){1,160}?)"
        rf"\s*[-\u2013\u2014,:]\s*then\s+(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*)"
    ),
    re.compile(rf"\bdepending on (?:whether|if) (?P<condition>[^,;.!?]+),\s*(?P<then>{CLAUSE})"),
    # "if the bridge closes then I take the ferry"
    re.compile(
        rf"\b(?:if|once|when|should)\s+(?P<condition>[^,:;.!?]+?)\s+then\s+(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*)"
    ),
    # "worst case, the bridge closes, and then I take the ferry"
    re.compile(
        rf"\b(?:worst case|failing that|if not)[,:]?\s+(?P<condition>[^,:;.!?]+),\s*(?:and )?then\s+(?P<then>{CLAUSE})"
    ),
    # "losing the contract would mean we cut the team"
    re.compile(rf"{LEAD}(?P<condition>[^.;!?]+?) would mean (?:that )?(?P<then>{CLAUSE})"),
    # "we'll migrate to Postgres, but only after the audit closes"
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*?)\s*,?\s*(?:but )?(?:only )?"
        rf"(?:{NOT_A_PARTICLE}after|once|when|the day|the moment)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
    # "plan B if the demo fails: show the recorded video"
    re.compile(
        rf"\b(?:plan b|fallback|backup plan|worst case)[^:]*?\bif\s+(?P<condition>[^:,;.!?]+)[:,]\s*(?P<then>{CLAUSE})"
    ),
    # "I'd take the train instead if I changed jobs"
    re.compile(
        rf"{LEAD}(?P<then>[^.;!?]*\b{PLAN}\b[^.;!?]*?)\s*,?\s*\b(?:if|once|when|should|as soon as|in case|assuming|"
        r"supposing|provided|in the event(?: that)?|if and when)\s+"
        rf"(?P<condition>{CLAUSE})"
    ),
)


INSTEAD = re.compile(r"\b(?:instead of|rather than|in place of|replacing)\s+(?P<old>[^,;.!?]+)")


def replaced_by_plan(plan: str) -> str:
    """What a plan says it would replace: "driving" in "I'd take the train instead of driving"."""
    found = INSTEAD.search(plan.lower())
    return found["old"].strip() if found else ""


@dataclass(frozen=True)
class Condition:
    """What a statement depends on (`depends_on`) or would replace it once true (`replaces_if`)."""

    kind: DependencyKind
    condition: str
    then: str


# What joins a plan to its reason and is not part of the plan: "we pin boto3, and that only holds (while ...)",
# "I walk the dog, and that's just (because ...)".
GLUE = re.compile(
    r"(?:,?\s+(?:and|but)\s+(?:that|this|it)(?:'s|\s+is)?(?:\s+(?:only|just|all|really|holds?|true|purely|simply))*"
    r"|,?\s+which(?: is)?(?: only| just)? (?:needed|required|necessary|makes sense|works|holds)"
    r"|,?\s+(?:only|just|purely|solely|simply|mainly|mostly|all|at least))\s*$"
)
# A `then` that only points back ("I take the bus; it only makes sense because ..."): the clause before it.
POINTER = re.compile(r"^(?:it|this|that)(?:'s| is)?(?: only| just)? (?:makes sense|works|holds|is the case)$")
# A condition told in the past ("because it was calming", "when I was a kid") is a story, not something
# that holds now and could change.
STORY = re.compile(r"\b(?:was|were|had been|used to|back then|as a kid|growing up)\b")
# "we'd go through the fields": would of a past habit, not of a plan.
HABIT = re.compile(r"\b(?:used to|back then|as kids?|growing up|when i was|when we were)\b")
# What followed, told as one past event ("we rolled back because ...", "once the tests passed, we merged it")
# or as what would have been ("I would have called"): a story, not something that rests on a condition now.
PAST_EVENT = re.compile(
    r"^(?:i|we|he|she|they|it|you|the \w+|our \w+|my \w+)\s+(?:just |then |finally |already |only )?"
    # a past tense, not a present that ends the same way ("I need", "we feed", "we embed")
    r"(?:\w+ed\b(?<!need)(?<!feed)(?<!seed)(?<!speed)(?<!breed)(?<!bleed)(?<!ceed)(?<!shed)(?<!embed)(?<!weed)"
    r"(?<!heed)(?<!shred)(?<!\bwed)|was|were|had|did|got|went|came|broke|chose|made|took|lost|ran|fell|bought|"
    r"sold|said|told|forgot|woke|slept|spent|wrote|won|began|drove|flew|gave|kept|met|paid|saw|sent|stood|thought|"
    r"understood|found|heard|felt|brought|caught|taught|built|knew|grew|threw|left|sat|ate|drank|spoke|fed|fled|"
    r"dealt|dug|hung|rang|rode|sang|swam|shook|stole|struck|tore|wore|hid|bent|lent|led|meant|sought|fought)\b"
    # "I would have called", not "I'd have to sell the car" or "we would have a bigger garden"
    r"|\b(?:(?:would|could|should|might)(?: not|n'?t)?|(?:i|we|you|he|she|they)'d) have (?:been|had|\w+(?:ed|en))\b"
)

# A condition cut after a joining word is two clauses run together, not a condition.
DANGLING = re.compile(r"\b(?:and|or|but)$")
# "No idea why the printer only works on Tuesdays": wondering why, not saying what a habit rests on.
WONDER = re.compile(r"(?:no idea|not sure|i wonder|wonder|dunno|i don'?t know|who knows|i can'?t see)\b")


@lru_cache(maxsize=CACHED_TEXTS)
def condition_of(text: str) -> Condition | None:
    said = _said(text)
    if "?" in said and not said.rstrip().endswith((".", "!")) and said.rstrip().endswith("?"):
        return None  # a question states no dependency
    for kind, patterns in (("replaces_if", REPLACES), ("depends_on", DEPENDS)):
        for pattern in patterns:
            found = pattern.search(said)
            if found is not None:
                condition = found["condition"].strip(" ,").replace(DOT, ".")
                if DANGLING.search(condition):
                    continue  # "let me know when you've got time and I'll send it": a request, then a promise
                then = GLUE.sub("", found["then"]).strip(" ,")
                if POINTER.match(then):
                    before = re.split(r"[.;!?,]", said[: found.start("then")].rstrip(" ;,"))
                    then = before[-1].strip() if before else ""
                then = then.replace(DOT, ".")
                if (
                    STORY.search(condition)
                    or PAST_EVENT.search(then.lower())
                    or WONDER.match(then.lower())
                    or (kind == "replaces_if" and HABIT.search(said))
                ):
                    continue
                if condition and then and then not in {"it", "that", "this"}:  # "it depends on the traffic"
                    return Condition("replaces_if" if kind == "replaces_if" else "depends_on", condition[:300], then)
    return None


# A statement that something changed: how a condition stops (or starts) holding, said plainly. Either a
# verb of change, or a report of something done (a past tense).
CHANGE = re.compile(
    r"\b(?:moved|moving|move[ds]? out|relocated|switched|switching|changed|changing|left|leaving|quit|quitting|"
    r"stopped|stopping|ended|ending|finished|finishing|completed|no longer|any ?more|sold|selling|cancel+ed|"
    r"closed|closing|shut|dropped|replaced|new|now|former|formerly|used to|started|starting|joined|joining|"
    r"retired|broke up|lost|gone|over|migrated|migrating|transferred|transferring|took over|took a|got a|"
    r"hired|fired|laid off|resigned|graduated|sunset|decommissioned|deprecated|done with|off|upgraded|"
    r"downgraded|updated|removed|deleted|rewrote|rewritten|renamed|merged|split|ditched|abandoned|"
    r"went|passed|became|turned|ran out|expired|renewed|got|took|made|began|broke|gave|came|wrote|found|bought|"
    r"won|built|put|sent|paid|happened|kicked off|wrapped up|as of|officially|finally|hit|cut|met|fell|led|"
    r"rose|saw|spent|threw|told|held|kept|shut down|let go|broke down|fell through|came through|stepped down|"
    r"stepped back|handed|reassigned|traded|pulled out|withdrew|lapsed|returned|resumed|granted|approved|voted|"
    r"no more|flew|(?:didn'?t|did not|won'?t be|not) renew(?:ing)?|paid off|got rid|rehomed|stood down|shifted|"
    r"back (?:in|from|at|to|up|on|home)|(?:'s|is|are|'re) done|g[ai]ve(?:n)? notice|cleared|rejoined|announced)\b"
)
PAST = re.compile(r"\b(?:i|we|they|he|she)(?:'ve| have| had| has)?(?: \w+ly| just| finally| already| then)? [a-z]+ed\b")
# The verbs that end or alter a state ("I moved", "we upgraded", "she went to live with"), not any past
# tense ("I spent the morning", "a neighbour put a note through"): a weaker match on the words needs one.
STATE_CHANGE = re.compile(
    r"\b(?:moved|moving|move[ds]? (?:out|away|house)|relocated|switched|changed|left|quit|stopped|ended|"
    r"no longer|any ?more|sold|cancel+ed|closed|shut|dropped|replaced|migrated|transferred|retired|broke up|"
    r"lost|resigned|graduated|decommissioned|deprecated|done with|upgraded|downgraded|removed|deleted|ditched|"
    r"abandoned|went to live|gave up|rehomed|ran out|expired|fired|laid off|let go|sunset|stepped down|stepped back|"
    r"handed (?:over|back|in)|reassigned|traded|pulled out|withdrew|lapsed|no more|(?:didn'?t|did not) renew|"
    r"paid off|got rid|stood down|g[ai]ve(?:n)? notice|rejoined|back (?:in|from|home))\b"
)
# Saying that something still holds is not a change ("again" is not among these words: "he's driving
# again" reports one).
STILL = re.compile(r"\b(?:still|as usual|as always|same as ever|same again)\b")
# A condition or a wish, not a report; "when we moved" and "once I left" tell of the past, and report.
HYPOTHETICAL = re.compile(
    r"\b(?:if|should|would|'d|could|might|maybe|perhaps|whenever|in case|assuming|"
    r"(?:once|when)(?! (?:i|we|you|he|she|they|it) (?:\w+ed|was|were|got|left|came|went|began|took|had)\b))\b"
)


NOT_CHANGED = re.compile(
    r"\b(?:won'?t|will not|didn'?t|did not|never|haven'?t|hasn'?t|not going to|don'?t|can'?t|couldn'?t) "
    r"(?:\w+ )?(?:quit|leave|move|change|stop|switch|give up|drop|finish|end)\b"
)


@lru_cache(maxsize=CACHED_TEXTS)
def says_change(text: str) -> bool:
    said = text.lower()
    if STILL.search(said) or NOT_CHANGED.search(said):
        return False
    return CHANGE.search(said) is not None or PAST.search(said) is not None


@lru_cache(maxsize=CACHED_TEXTS)
def says_state_change(text: str) -> bool:
    """A change that ends or alters a state, as opposed to any report of the past (`says_change`)."""
    return says_change(text) and STATE_CHANGE.search(text.lower()) is not None


# Moving home changes whatever rested on where the speaker lives: "I moved to a flat in Turin" is about
# "it's a five-minute walk from my flat" and "as long as I'm living on Elm Terrace", with no name shared.
HOME_MOVE = re.compile(
    r"\b(?:i|we)(?:'ve| have| had)?(?: \w+ly| just| finally| recently)? (?:moved|relocated)"
    r"(?: back| out| away| house| home| abroad| in with| to| into| across)\b"
)
# The stems (words.stem) a condition about one's home uses.
HOME_KEYS = frozenset({"liv", "flat", "hous", "hom", "apartm", "addres", "neighb", "rent", "landlo"})


@lru_cache(maxsize=CACHED_TEXTS)
def says_home_move(text: str) -> bool:
    """The speaker says they moved home ("I moved to Leeds", "we moved house"), not a thing they moved."""
    said = text.lower()
    return not NOT_CHANGED.search(said) and HOME_MOVE.search(said) is not None


@lru_cache(maxsize=CACHED_TEXTS)
def hypothetical(text: str) -> bool:
    """A conditional or a wish, not a report that something happened."""
    return HYPOTHETICAL.search(text.lower()) is not None
