"""Open threads and what closes them, from the words alone (no LLM on this path).

An open thread is a plan, a promise or a task still owed: "I promised Ines we would publish the release
notes by Friday", "we still need to renew the certificates", "I'll call the landlord tomorrow". A later
turn closes it when it reports the thing done ("We published the release notes, Ines has them", "the
certificates are renewed", "done: called the landlord") or called off ("we dropped the release notes").
Once closed, a thread is no longer something a session must pick up: the graph records the report as
superseding the plan, so the warm pack leaves the plan out and Recall shows it flagged with the report.

Only the words are read here: whether the report is about *that* thread is decided by the caller from
closeness in meaning (the report must be among the plan's nearest memories).
"""

from __future__ import annotations

import re

# What makes a statement a plan or a promise: a modal or a commitment before a verb, or a deadline.
PLAN = re.compile(
    r"\b(?:need(?:s)? to|have to|has to|got to|going to|gonna|will|shall|plan(?:ning)? to|intend to|"
    r"promised|promise to|owe|must|should|todo|to-do|remind me to|on my list|"
    r"by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|next \w+|"
    r"the end of (?:the|this|next) \w+))\b|\b(?:i|we|you|he|she|they)'ll\b",
    re.IGNORECASE,
)
# A report of a thing done (or called off). Past forms of the verbs people plan tasks with, and the
# phrases that report any task finished; a bare past tense of another verb is not enough, since most
# turns tell of something past.
DONE = re.compile(
    r"\b(?:done|finished|completed|wrapped up|took care of|taken care of|sorted (?:out|it|that)|handled|"
    r"ticked off|crossed off|checked off|all set|followed through|kept (?:my|our) (?:promise|word)|"
    r"sent|submitted|shipped|delivered|published|released|merged|deployed|filed|paid|booked|bought|"
    r"renewed|fixed|replaced|cleaned|called|emailed|mailed|posted|returned|signed|scheduled|cancelled|"
    r"canceled|dropped|gave up on|wrote|written|drafted|uploaded|updated|installed|migrated|moved|"
    r"ordered|picked up|handed (?:in|over)|reviewed|approved|closed|resolved|met with|visited|"
    r"finally did|got (?:it|that|them|this) (?:done|sorted|finished))\b",
    re.IGNORECASE,
)
# What undoes a report: a negation or a "not yet" ("the notes aren't done yet", "almost finished").
NOT_DONE = re.compile(r"\b(?:not|never|yet|almost|nearly|partly|halfway|hardly)\b|n't\b", re.IGNORECASE)
QUESTION = re.compile(r"\?\s*$")
CLAUSE = re.compile(r"[.;!?\n]+|\b(?:but|although|though)\b", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_][\w'-]{3,}")
# Words every plan or report may use: sharing them says nothing about sharing a topic.
_COMMON_WORDS = """
that this with from about have will would should could need needs promised promise still done
finally today tomorrow yesterday week weekend month next last friday monday tuesday wednesday thursday
saturday sunday told them they their there were what when then just also into over after before
going gonna want wants
"""
COMMON = frozenset(_COMMON_WORDS.split())


def is_plan(text: str) -> bool:
    """Whether the text opens a thread: something planned, promised or owed."""
    return PLAN.search(text) is not None and reports_done(text) is None


def reports_done(text: str) -> str | None:
    """The words that report a thing done or called off ('published', 'took care of'), or None. The
    report must stand in a clause of its own that neither plans ("I'll get it done by Friday"), nor
    negates or defers ("the notes aren't done yet"); a question reports nothing."""
    if QUESTION.search(text):
        return None
    for clause in CLAUSE.split(text):
        found = DONE.search(clause)
        if found is not None and not NOT_DONE.search(clause) and not PLAN.search(clause):
            return found.group(0).lower()
    return None


def topic_words(text: str) -> set[str]:
    """The content words a plan and its report must share (a name, an object: 'ines', 'release', 'notes')."""
    return {w.lower() for w in WORD.findall(text)} - COMMON


def closes(plan: str, report: str) -> str | None:
    """Why `report` closes the thread `plan` opened ("reported 'published' (release, notes)"), or None
    when `plan` opens no thread, `report` reports nothing done, or they share no topic word."""
    done = reports_done(report)
    if done is None or not is_plan(plan):
        return None
    shared = topic_words(plan) & topic_words(report) - set(done.split())
    if not shared:
        return None
    return f"thread closed: '{done}' reported ({', '.join(sorted(shared)[:4])})"
