"""The pure parts of the jobs: sequence mining, stable ids and the success posterior."""

import pytest
from somnia_dreaming.jobs.sequences import closed, is_subsequence, prefixspan
from somnia_dreaming.jobs.stable_ids import assign_ids, fresh_id
from somnia_dreaming.jobs.success import posterior
from somnia_dreaming.settings import SuccessSettings


def test_prefixspan_counts_each_sequence_once_and_allows_gaps() -> None:
    database = [(1, 2, 3), (1, 9, 2, 3), (1, 2, 2, 3), (3, 2, 1)]
    found = prefixspan(database, min_support=3, max_length=3)
    assert found[(1, 2, 3)] == {0, 1, 2}
    assert found[(2,)] == {0, 1, 2, 3}
    assert (3, 2) not in found  # only one sequence has 3 before 2
    assert closed({p: h for p, h in found.items() if len(p) >= 2}) == {(1, 2, 3): {0, 1, 2}}
    assert is_subsequence((1, 3), (1, 2, 3)) and not is_subsequence((3, 1), (1, 2, 3))


def test_groups_keep_their_ids_by_overlap_and_new_ones_get_member_derived_ids() -> None:
    previous = {"c-old": frozenset({"a", "b", "c"}), "c-gone": frozenset({"x", "y"})}
    ids = assign_ids("c", [["a", "b", "d"], ["p", "q"]], previous, min_overlap=0.3)
    assert ids == ["c-old", fresh_id("c", ["p", "q"])]
    assert fresh_id("c", ["q", "p"]) == fresh_id("c", ["p", "q"])
    # Two new groups cannot both take one old id: the better overlap wins it.
    ids = assign_ids("c", [["a"], ["a", "b", "c"]], previous, min_overlap=0.3)
    assert ids[1] == "c-old" and ids[0] != "c-old"


def test_the_lower_bound_tells_three_of_three_from_three_hundred_of_three_hundred_ten() -> None:
    settings = SuccessSettings()
    few_mean, few_lower = posterior(3, 0, settings)
    many_mean, many_lower = posterior(300, 10, settings)
    assert few_mean == pytest.approx(0.8) and many_mean == pytest.approx(0.965, abs=1e-3)
    assert few_lower == pytest.approx(0.562, abs=1e-3) and many_lower == pytest.approx(0.951, abs=1e-3)
    assert posterior(0, 0, settings) == pytest.approx((0.5, 0.1))
