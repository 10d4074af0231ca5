"""What a turn does, read from its embedding: takes something back that it names ("topic"), takes back
what was just said ("back"), or says something of the speaker's has ended ("ended"); or none of these.

A backup for the cues (cues.py) on wording they do not know: the cues read the words people used when
they were written, and miss the rest ("please discount my earlier take on the vendor contract", "we
ripped out the Elasticsearch cluster"). This reads the memory's own vector (no model of its own: one
softmax layer over it, trained by services/graph/tools/train_speech_acts.py on sentences written apart
from the benchmarks' wording), so it costs one small matrix product a memory. It knows only the
embedders it was trained for, and reads nothing for any other; it reads only the user's statements
(a question asks, it takes nothing back), and only when it is sure (`threshold`, or the lower
`withdrawing_threshold` for a statement that uses a word that withdraws).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import numpy.typing as npt
from somnia_memory_model import content_keys, split_speaker, without_names

from somnia_graph.cues import ERASE, NEGATED, SAID, WITHDRAWING, Retraction, WithdrawnStatus

Act = Literal["none", "topic", "back", "ended"]
ACTS: tuple[Act, ...] = ("none", "topic", "back", "ended")
WEIGHTS_FILE = "speech_acts.json"
# Taking something back is said briefly; a long turn tells a story, which the reader was not trained on
# and takes for an ending ("I donated my old car to the shelter I volunteer at yesterday ...").
MAX_WORDS = 20

# What talks about the saying and the withdrawing, not about the thing taken back: left out of the
# topic a statement is searched by ("please discount my earlier take on the vendor contract" is about
# the vendor contract).
META = re.compile(
    rf"{SAID}|{WITHDRAWING.pattern}|\b(?:please|actually|earlier|before|previously|anymore|any more|now|"
    r"just|thing|stuff|bit|part|note|notes|info|information|detail|details|record|records|memory|"
    r"what|whatever|everything|anything|that|this|it|can|could|you|your|go|went|gone)\b"
)


# A reading must also use a word of its act: the embedding says what a turn is like, these say it does it.
# Each is weak alone ("I finished the novel", "she forgot her keys"); with the reader sure, together they
# hold ("the standup ran long today" reads like an ending to the reader, and uses no word of one). Word
# starts, so that every form of a verb counts ("disband", "disbanded", "disbanding"), or whole words where
# they end in "$" ("stand$" is not the standup); a dot is any space.
WITHDRAWING_STEMS = """
forget forgot forgotten ignor disregard drop scratch strike scrap delet remov eras wipe nuke scrub purge undo
unsend unremember unlearn unsee unsay retract withdr set.aside discount count go.by rely lean.on quot hang.on
hold.on hold.onto treat wrong incorrect mistak misspo misread misremember mistyp mis-typ typo mix-up mixup
mixed.up outdated out.of.date stale supersed obsolet deprecat invalid void fals untru not.true not.right
not.quite.right isn't.right no.longer anymore any.more off.the.mark guess bad.info fix correct overwrit let.go
let.it.go let.that.go can.go slide stop quit rewind not.so not.the.case accurat inaccurat made.up bogus
changed.my.mind all.changed second.thought never.mind nevermind bin toss ditch lose clear reset pretend kill
junk walk.back walking.back belay throw.that throw.it throw.this not.keep don't.keep shouldn't.have rephras
backwards don't.use seriously meant rumou venting overreact take.back took.back taking.back never.happened moot
amend misleading had.nothing prefer.you shelv disown bank.on ancient.history muddl file nix trash old.news
hold.me.to roll.back line.through spoke.too.soon someone.else zap kaput unreliabl skip nvm didn't.mean
wasn't.for.you dump wires.crossed none.of.that cancel not.it unhear redact were.off was.off throw.out unsav
misdiagnos prematur carry.forward trust hunch unpin off.base zero.out rescind expung tentativ fell.through annul
not.current pull.back de-list delist miscalculat half-baked revert walk.that.back draft stand$ stands$
flush.what flush.the flush.that don't.need dont.need factor leave.out acted.as.though as.though.i.had.never
never.disclosed put.it.away un-remember not.store not.remember x.out cross.out crossed.out isnt.right
not.the.right exaggerat serious back.up garbage let.that.one.go let.this.one.go let.that.bit.go wasn't.thinking
inadvertent not.mine.to.share pay.no.attention nonsense rubbish
"""
ENDING_STEMS = """
stop quit gave.up given.up giving.up done.with finished.with through.with cancel drop ditch no.more no.longer
anymore any.more any.longer these.days laps expir wound.down wind.down wrapped.up wrap.up clos shut archiv
disabl decommission retir left moved.on moved.off moved.away moving.on packed.in jacked.in ripped.out
handed.back handed.in surrender gave.notice given.notice renew called.it.a.day fell.by fell.off fizzl
run.its.course ran.its.course out.of haven't hasn't won't.be pulled.out kill axe scrap sunset phased.out
phase.out dead gone fold dissolv discontinu abandon binn dump parted walked.away stepped.down stepped.back
resign unsubscrib opted.out backed.out bowed.out dropped.out used.to former disband uninstall disconnect
dismantl ceas kicked switched.off turned.off didn't.survive never.picked sold got.rid rehom not.doing not.going
aren't.doing isn't.doing split.up broke.up break.up let.him.go let.her.go let.go on.the.head moved.out hung.up
come.off came.off divorc died.off is.off are.off sworn.off petered.out cut.ties bail run.out went.bust terminat
exit wrapped discharg fell.apart died.a.death separate.ways got.cut torn.down tear.down conclud paus halt
eliminat winding.down rolled.off unmaintain behind.me taken.down offline read-only pulled.from evaporat dried.up
ended is.over are.over was.over 's.over all.over over.for over.now leaving laid.off let.our let.my deactivat
threw.in.the.towel thrown.in.the.towel pulled.the.plug comes.to.an.end come.to.an.end came.to.an.end fully.off
broken.off broke.off tapering.off last.round
"""


def _starts(stems: str) -> re.Pattern[str]:
    def word(stem: str) -> str:
        start = re.escape(stem.removesuffix("$")).replace(r"\.", r"\s+")
        return start + r"\b" if stem.endswith("$") else start

    return re.compile(rf"\b(?:{'|'.join(sorted(map(word, stems.split()), key=len, reverse=True))})")


WITHDRAWING_WORDS = _starts(WITHDRAWING_STEMS)
ENDING_WORDS = _starts(ENDING_STEMS)
# Which is the act and which the ending is not always plain ("my take on the contract was off the mark"
# reads as either): a topic or an ending may use the words of either.
ACT_WORDS: dict[Act, tuple[re.Pattern[str], ...]] = {
    "topic": (WITHDRAWING_WORDS, ENDING_WORDS),
    "ended": (WITHDRAWING_WORDS, ENDING_WORDS),
    "back": (WITHDRAWING_WORDS,),
}


@dataclass(frozen=True)
class SpeechActModel:
    """One softmax layer over one embedder's vectors: `weights` is (dimension, len(ACTS))."""

    embedder: str
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]

    def probabilities(self, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        scores = vector.astype(np.float32) @ self.weights + self.bias
        scores = np.exp(scores - scores.max())
        return np.asarray(scores / scores.sum(), dtype=np.float32)


def load_models(text: str) -> dict[str, SpeechActModel]:
    """The models in a weights file's text: {embedder: {"acts": [...], "weights": [[...]], "bias": [...]}}."""
    models: dict[str, SpeechActModel] = {}
    for embedder, body in json.loads(text).items():
        if tuple(body["acts"]) != ACTS:
            raise ValueError(f"{WEIGHTS_FILE}: {embedder} reads {body['acts']}, not {list(ACTS)}: retrain it")
        weights = np.asarray(body["weights"], dtype=np.float32)
        bias = np.asarray(body["bias"], dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(ACTS) or bias.shape != (len(ACTS),):
            raise ValueError(f"{WEIGHTS_FILE}: {embedder} has weights {weights.shape} and bias {bias.shape}")
        models[embedder] = SpeechActModel(embedder, weights, bias)
    return models


def shipped_models() -> dict[str, SpeechActModel]:
    """The models trained for the embedders Somnia ships (the package's speech_acts.json)."""
    return load_models(resources.files("somnia_graph").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8"))


class SpeechActReader:
    def __init__(
        self, models: Mapping[str, SpeechActModel], *, threshold: float = 0.9, withdrawing_threshold: float = 0.7
    ) -> None:
        """`threshold`: how sure a reading must be; `withdrawing_threshold` (at most `threshold`): how sure
        when the statement uses a word that withdraws (forget, scratch, disregard, off the mark, ...). Such
        words seldom come up in plain talk, unlike those of an ending ("left", "closed", "stopped"), which
        ordinary news uses all the time."""
        self._models = dict(models)
        self._threshold = threshold
        self._withdrawing_threshold = min(withdrawing_threshold, threshold)

    def act(self, vector: npt.NDArray[np.float32], embedder: str) -> tuple[Act, float]:
        """The likeliest act besides "none" and how sure it is that the turn does one ("none", 0.0 for an
        embedder it was not trained for)."""
        model = self._models.get(embedder)
        if model is None or vector.shape != (model.weights.shape[0],):
            return "none", 0.0
        p = model.probabilities(vector)
        best = 1 + int(np.argmax(p[1:]))
        return ACTS[best], float(1.0 - p[0])

    def retraction(self, text: str, vector: npt.NDArray[np.float32], embedder: str) -> Retraction | None:
        """What the turn takes back, as the cues would say it, when it surely does (else None)."""
        said = " ".join(split_speaker(text)[1].split())
        if not said or said.endswith("?") or len(said.split()) > MAX_WORDS:
            return None
        act, sure = self.act(vector, embedder)
        words = without_names(said).lower()  # a name is not an act: "get off at Old Mill Stop"
        if act == "none" or NEGATED.search(words):
            return None  # "I won't quit": the act, denied
        if not (
            (sure >= self._threshold and any(w.search(words) for w in ACT_WORDS[act]))
            or (sure >= self._withdrawing_threshold and WITHDRAWING_WORDS.search(words))
        ):
            return None
        status: WithdrawnStatus = "deleted_by_user" if ERASE.search(said.lower()) else "retracted"
        if act == "back":
            return Retraction(status)
        topic = topic_of(said)
        if not content_keys(topic):
            return Retraction(status) if act == "topic" else None
        return Retraction(status, topic, ended=act == "ended", named=False)


def topic_of(said: str) -> str:
    """What a statement that takes something back is about: its words without those about the saying."""
    return " ".join(META.sub(" ", said.lower()).split()).strip(" ,.;:!-")
