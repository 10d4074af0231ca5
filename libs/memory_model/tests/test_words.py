"""The words a memory is about: stems that meet across inflections, prefixes that meet across
derivations, names, and the speaker a text starts with left out."""

import pytest
from somnia_memory_model import (
    capitalised_names,
    content_keys,
    overlap,
    proper_names,
    shared,
    span_of,
    split_speaker,
    stem,
    telling,
    without_names,
)


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (["move", "moved", "moving", "moves"], "mov"),
        (["play", "plays", "played", "playing"], "play"),
        (["allergy", "allergic"], "allerg"),
        (["study", "studies", "studied", "studying"], "study"),
        (["stop", "stopped", "stops"], "stop"),
        (["job", "jobs"], "job"),
    ],
)
def test_inflections_share_a_stem(words: list[str], same: str) -> None:
    assert {stem(w) for w in words} == {same}


def test_content_words_leave_out_the_speaker_stop_words_and_single_letters() -> None:
    assert content_keys("Dana: I only go to the Ironworks gym because it's near my flat.") == {
        "ironwo",
        "gym",
        "near",
        "flat",
    }
    assert content_keys("on-call") == {"call"}  # hyphens split words
    assert split_speaker("Dana: hi") == ("Dana", "hi") and split_speaker("no speaker here") == ("", "no speaker here")


def test_generic_and_filler_words_tell_nothing_as_a_text_stems_them() -> None:
    assert telling(content_keys("Everything went fine tonight, quite a day")) == {"went"}
    assert content_keys("quite") == frozenset()  # not "quit"
    assert telling(content_keys("I quit the gym")) == {"quit", "gym"}


def test_stems_meet_on_a_shared_prefix_of_four_letters_or_more() -> None:
    rota, rotation = content_keys("the on-call rota"), content_keys("this rotation")
    assert shared(rota, rotation) == {"rota"} and overlap(rota, rotation) == 0.5
    assert shared(content_keys("a car"), content_keys("a cart")) == frozenset()  # too short to say


def test_names_are_capitalised_words_that_do_not_start_a_sentence_or_the_line() -> None:
    assert proper_names("Dana: We moved to Lisbon. Then Maya came on Tuesday.") == {"lisbon", "maya"}
    assert capitalised_names(span_of("We've stopped running CI on CircleCI.", "running ci on circleci")) == {
        "ci",
        "circle",
    }
    assert telling(frozenset({"look", "gym", "lov"})) == {"gym"}
    assert " ".join(without_names("Stop. I get off at Old Mill Stop now.").split()) == "Stop. I get off at now."
