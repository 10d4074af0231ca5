"""Whose fact it is: a question about one person is not answered by another person's fact."""

from somnia_retrieval.subjects import about_someone_else, names_in_question, subjects_of

FACTS = [
    "Dana: My sister Maya teaches chemistry in Bristol.",
    "Dana: Tom from the platform team owns the deploy pipeline.",
    "Dana: I finished a crossword over breakfast.",
]


def test_a_question_about_someone_else_than_the_fact_is_flagged() -> None:
    assert about_someone_else("What does Tom teach?", FACTS)
    assert not about_someone_else("What does Maya teach?", FACTS)
    assert not about_someone_else("Who owns the deploy pipeline?", FACTS)  # names nobody: nothing to check


def test_nobody_of_that_name_is_flagged_and_unknown_capitalised_words_are_not_names() -> None:
    assert about_someone_else("Which opera did Giuseppe Verdi write?", FACTS)
    assert names_in_question("Hey, what does Maya teach?", frozenset({"maya"})) == {"maya"}
    assert names_in_question("Maya's brother lives where?", frozenset({"maya"})) == {"maya"}
    assert names_in_question("Quick one: what does Maya teach?", frozenset()) == {"maya"}


def test_a_turn_is_about_its_speaker_not_whom_it_addresses() -> None:
    turns = [
        "Melanie: Thanks, Caroline! I ran the charity race and realised self-care matters.",
        "Caroline: I went to a support group meeting yesterday.",
    ]
    speakers = frozenset({"melani", "caroli"})
    about = subjects_of(turns[0], speakers)
    assert "melani" in about and "caroli" not in about
    assert about_someone_else("What did Caroline realise after the charity race?", turns)
    assert not about_someone_else("What did Melanie realise after the charity race?", turns)
