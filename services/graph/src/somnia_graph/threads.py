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
from collections.abc import Sequence

from somnia_memory_model import capitalised_names, proper_names, split_speaker

# What makes a statement a plan or a promise: the speaker (or "we") committing to something ahead
# ("I'll", "we still need to", "I promised Ines", "let's", "I said I'd", "we agreed to"), a note to self
# ("remind me to", "on my list", "don't let me forget"), a promise or a debt named as such ("promised
# Ines the notes", "we owe her the report"), someone waiting on the speaker ("Ines is waiting on us for
# the notes"), or a task still open ("still pending", "have yet to", "due by Friday"). Another person's
# future ("you're gonna do great") is no thread of the speaker's.
PLAN = re.compile(
    r"\b(?:i|we)(?:'ll| will| shall|'m going to| am going to|'re going to| are going to|'m gonna| are gonna|"
    r" (?:still |really |also |just )?(?:need to|have to|must|should|plan to|intend to|want to|promised|owe|"
    r"got to|gotta|agreed to|committed to|offered to|signed up to|volunteered to|am supposed to|"
    r"are supposed to|'m supposed to|'re supposed to|have yet to))\b|"
    r"\b(?:said|told \w+|promised \w+) (?:that )?(?:i|we)(?:'d| would| will|'ll)\b|"
    r"\b(?:promised|owe|owes|owed|on the hook for)\b|"
    r"\b(?:is|are|'s|'re) (?:still )?(?:waiting (?:on|for) (?:me|us)|expecting (?:it|them|that|this) from (?:me|us)|"
    r"counting on (?:me|us))\b|"
    r"\b(?:still (?:pending|outstanding|open|to do|to be done)|(?:is|are) (?:pending|outstanding|overdue)|"
    r"due (?:by|on|before|this|next)|deadline)\b|"
    r"\b(?:let's|let us|remind me to|don't let me forget|make sure (?:i|we)|on my list|on our list|"
    r"on my to-?do|on our to-?do|to-?do:|action item)|"
    # Owed in other words: "I've got to", "I'm meant to", "we're due to", "it is on me", "next on the
    # list", "plan for tomorrow:", "my job this week is to", "Ines asked us for the slides", "Dana wants
    # the report by Friday", "we haven't archived them yet", and a task in the passive ("the cron jobs
    # have to be migrated", "the runbook needs updating", "the notes still have to go out").
    r"\b(?:i|we)(?:'ve got to| have got to|'ve yet to|'d better|'m meant to| am meant to|'re meant to|"
    r" are meant to|'m due to| am due to|'re due to| are due to)\b|"
    r"\b(?:is|'s|are|'re) (?:all )?on (?:me|us)\b|\bnext on (?:the|my|our) list\b|"
    r"\bplan for (?:today|tonight|tomorrow|this week|next week|the week)\b|"
    r"\bmy (?:job|task) (?:this week |today |tomorrow )?is to\b|\basked (?:me|us) (?:for|to)\b|"
    r"\b(?:wants|needs|expects) (?:\w+ ){1,4}by (?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|tomorrow|tonight|the end|end of|next|this)\b|"
    r"\b(?:haven't|have not|hasn't|has not)\b[^.;!?]*\byet\b|"
    r"\b(?:has|have) to (?:be|go)\b|\bneeds? to be\b|\bneeds? (?!(?:no|some|any|every)thing\b)\w+ing\b",
    re.IGNORECASE,
)
# Past forms of the verbs people plan tasks with. Alone they are not a report: most turns tell of
# something past, and "keep you posted" or "updated infrastructure" use them otherwise.
_TASK_VERBS = (
    "sent|submitted|shipped|delivered|published|released|merged|deployed|filed|paid|booked|bought|renewed|"
    "fixed|replaced|cleaned|called|emailed|mailed|posted|returned|signed|scheduled|cancell?ed|dropped|"
    "wrote|written|drafted|uploaded|updated|installed|migrated|moved|ordered|reviewed|approved|closed|"
    "resolved|visited|documented|rotated|archived|deleted|removed|backed up|prepared|tested|packed|shared|"
    "finished|completed|handled|sorted out|sorted|wrapped up|"
    "took care of|taken care of|picked up|handed in|handed over|ticked off|crossed off|checked off|finally did"
)
# A report of a thing done (or called off): a task verb in the past after its doer ("we published",
# "I've finally called"), opening the clause ("Renewed the certificates"), or as a state ("the notes
# are published", "it's done", "all set"); or "done" / "finished" opening a checklist line ("Done: ...").
DONE = re.compile(
    rf"\b(?:i|we|i've|we've|i have|we have|i had|we had)\s+(?:\w+ly\s+|just\s+|already\s+|also\s+)?"
    rf"(?P<doer>{_TASK_VERBS}|gave up on|got (?:it|that|them|this) (?:done|sorted|finished))\b|"
    rf"^\s*(?:\w+ly\s+|just\s+|also\s+)?(?P<opening>{_TASK_VERBS}|done|all done)\b|"
    rf"(?:\b(?:is|are|was|were|they're|has been|have been|got)|'s|'s been)\s+(?:now\s+|all\s+|finally\s+)?"
    rf"(?P<state>done|finished|complete|completed|sorted|taken care of|{_TASK_VERBS})\b(?!\s+(?:off|up|with|by))|"
    r"\b(?P<set>all set|kept (?:my|our) (?:promise|word)|followed through)\b|"
    # Done in other words: "got the venue booked", "(I) managed to call", "got round to fixing",
    # "knocked out / put together / written up the report", "checked the runbook off", "the report went
    # out", "the dashboard went live", "the booking went through", "out the door" (the doer of "went out"
    # is no person: "we went out for dinner" is an evening, not a task).
    rf"\bgot\s+(?:the|my|our|it|them|this|that|all|everything)\b[^.;!?]{{0,40}}?\b(?P<got>{_TASK_VERBS})\b|"
    r"\b(?P<other>managed to|got (?:a)?round to|knocked out|put together|written up|wrote up|"
    r"(?:checked|ticked|crossed) (?:\w+ ){1,3}off|out the door|(?:is|are) now live|"
    r"(?<!\bi )(?<!\bwe )(?<!\bthey )(?<!\bhe )(?<!\bshe )went (?:out|live|through))\b",
    re.IGNORECASE,
)
# What undoes a report: a negation or a "not yet" ("the notes aren't done yet", "almost finished").
NOT_DONE = re.compile(r"\b(?:not|never|yet|almost|nearly|partly|halfway|hardly)\b|n't\b", re.IGNORECASE)
QUESTION = re.compile(r"\?\s*$")
SENTENCE = re.compile(r"[.;!?\n]+")
# Within a sentence, a colon ends a clause too: "Done: archived the old buckets", and a memory's text
# opens with its speaker ("Priya: Done: ...").
CLAUSE = re.compile(r":|\b(?:but|although|though)\b", re.IGNORECASE)
WORD = re.compile(r"[^\W\d_][\w'-]{3,}")
# Words any plan or report may use: sharing them says nothing about sharing a topic.
_COMMON_WORDS = """
that this with from about have will would should could need needs promised promise still done
finally today tomorrow yesterday week weekend month next last friday monday tuesday wednesday thursday
saturday sunday told them they their there were what when then just also into over after before
going gonna want wants some other others each every many much more most very really been being here
your yours ours mine these those such only even well because while until where which whose than
like thing things something anything everything nothing sure glad happy thanks thank great good
"""
COMMON = frozenset(_COMMON_WORDS.split())


NEGATED = re.compile(r"\s*(?:never|not|no longer)\b", re.IGNORECASE)


def is_plan(text: str) -> bool:
    """Whether the text opens a thread: it plans, promises or owes something, not negated ("I'll never
    forget it" is no plan), and reports nothing done."""
    return reports_done(text) is None and bool(plan_sentences(text))


def plan_sentences(text: str) -> list[str]:
    """The sentences that plan or promise something (a plan's topic is in them, not in the small talk
    around it)."""
    return [
        sentence
        for sentence in SENTENCE.split(text)
        if any(not NEGATED.match(sentence, found.end()) for found in PLAN.finditer(sentence))
    ]


def reports_done(text: str) -> str | None:
    """The words that report a thing done or called off ('published', 'took care of'), or None."""
    found = report_in(text)
    return found[0] if found is not None else None


def report_in(text: str) -> tuple[str, str] | None:
    """The words that report a thing done and the sentence they stand in, or None. The report must stand
    in a clause of its own that neither plans ("I'll get it done by Friday"), nor negates or defers ("the
    notes aren't done yet"); a question reports nothing."""
    if QUESTION.search(text):
        return None
    for sentence in SENTENCE.split(text):
        for clause in CLAUSE.split(sentence):
            found = DONE.search(clause)
            if found is not None and not NOT_DONE.search(clause) and not PLAN.search(clause):
                said = next(v for v in found.groupdict().values() if v)
                return " ".join(said.lower().split()), sentence
    return None


def topic_words(text: str) -> set[str]:
    """The content words a plan and its report must share (a name, an object: 'ines', 'release', 'notes')."""
    # The speaker a memory's text opens with ("Priya: ...") is in every turn of theirs: no shared topic.
    return {w.lower() for w in WORD.findall(split_speaker(text.strip())[1])} - COMMON


def closes(plan: str, report: str) -> str | None:
    """Why `report` closes the thread `plan` opened ("reported 'published' (release, notes)"), or None
    when `plan` opens no thread, `report` reports nothing done, or the sentence that plans and the one
    that reports share no topic word ("Hey Maria" in both turns is no shared topic)."""
    found = report_in(report)
    planning = plan_sentences(plan) if found is not None and reports_done(plan) is None else []
    if found is None or not planning:  # what `is_plan` says, with the sentences kept for their words
        return None
    done, sentence = found
    planned = set().union(*(topic_words(s) for s in planning))
    shared = planned & topic_words(sentence) - set(done.split())
    if not shared:
        return None
    return f"thread closed: '{done}' reported ({', '.join(sorted(shared)[:4])})"


def meant_for(plans: Sequence[str], report: str) -> list[bool]:
    """Which of the plans that `report` closes it is about, by the people they name. One task is often
    promised to two people ("I promised Dana ...", "I promised Arjun ..."): a report that names one of
    the plans' people ("Done, and Dana has it") closes only the plans that name that person, or nobody.
    A report that names none of them is about all of them."""
    names = [proper_names(plan) for plan in plans]
    # Anywhere in the report, a sentence's first word too ("... . Dana is happy."): only the plans'
    # names are looked for, so a capitalised "Done" or "Ticked" matches nothing.
    said = capitalised_names(split_speaker(report.strip())[1])
    if not set().union(*names) & said:
        return [True] * len(plans)
    return [not named or bool(named & said) for named in names]
