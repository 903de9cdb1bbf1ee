"""find_emails' plan: each distinct search in exactly one batch, stable keys, saved batches
checked, and the way back to one result per input search."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrow_async import EmailResult, EmailSearch, Qualification, StartedBatch, search_identity
from enrow_async._core.plan import FindPlan

# Few names and domains, so that lists hold duplicates (in case, spacing and URL form too).
NAMES = st.sampled_from(["Jim Halpert", "JIM  halpert", "Pam Beesly", " pam beesly", "Oscar"])
DOMAINS = st.sampled_from(["acme.com", "https://www.ACME.com/x", "b.io", "www.b.io."])
SEARCHES = st.lists(
    st.builds(EmailSearch, NAMES, DOMAINS, custom=st.integers(0, 9) | st.none()), max_size=40
)


def _results_of(plan: FindPlan) -> list[EmailResult]:
    """What the Collector would hold: each batch's results laid end to end, numbered in that
    order, each carrying the custom of the search sent."""
    sent = [search for batch in plan.batches for search in batch.searches]
    return [
        EmailResult(i, Qualification.VALID, f"{search.fullname}@x", custom=search.custom)
        for i, search in enumerate(sent)
    ]


@given(SEARCHES, st.integers(1, 7))
def test_every_distinct_search_is_sent_once_and_every_position_covered(
    searches: list[EmailSearch], size: int
) -> None:
    plan = FindPlan(searches, size, "")
    sent = [search for batch in plan.batches for search in batch.searches]
    identities = [search_identity(s) for s in sent]
    assert len(set(identities)) == len(identities) == len({search_identity(s) for s in searches})
    assert plan.duplicates == len(searches) - len(sent)
    assert all(1 <= len(batch.searches) <= size for batch in plan.batches)
    assert [batch.number for batch in plan.batches] == list(range(len(plan.batches)))
    covered = sorted(p for batch in plan.batches for p in batch.positions)
    assert covered == list(range(len(searches)))
    for batch in plan.batches:
        mine = {search_identity(s) for s in batch.searches}
        assert {search_identity(searches[p]) for p in batch.positions} == mine


@given(SEARCHES, st.integers(1, 7))
def test_every_input_gets_its_search_result_with_its_own_index_and_custom(
    searches: list[EmailSearch], size: int
) -> None:
    plan = FindPlan(searches, size, "")
    results = plan.results(plan.batches, _results_of(plan))
    assert len(results) == len(searches)
    for position, (search, result) in enumerate(zip(searches, results, strict=True)):
        assert result is not None
        assert (result.index, result.custom) == (position, search.custom)
        first = next(s for s in searches if search_identity(s) == search_identity(search))
        assert result.email == f"{first.fullname}@x"


def test_positions_of_batches_not_started_stay_empty() -> None:
    searches = [EmailSearch(f"P {i}", "a.com") for i in range(5)] + [EmailSearch("p 0", "a.com")]
    plan = FindPlan(searches, 2, "")
    later = plan.batches[1:]  # batch 0 (P 0, P 1) never started
    collected = _results_of(plan)[2:]
    results = plan.results(later, collected)
    assert [r is None for r in results] == [True, True, False, False, False, True]
    assert results[4] == attrs.evolve(collected[2], index=4)


def test_keys_depend_on_the_searches_and_the_settings_only() -> None:
    searches = [EmailSearch(f"P {i}", "a.com", custom=i) for i in range(5)]
    keys = [b.key for b in FindPlan(searches, 2, "fr|False").batches]
    restyled = [attrs.evolve(s, fullname=s.fullname.upper(), custom=None) for s in searches]
    assert [b.key for b in FindPlan(restyled, 2, "fr|False").batches] == keys
    assert [b.key for b in FindPlan(searches, 2, "None|False").batches] != keys
    assert len(set(keys)) == 3


def test_resumed_checks_and_fills_in_positions() -> None:
    plan = FindPlan([EmailSearch(f"P {i}", "a.com") for i in range(5)], 2, "")
    saved = StartedBatch("id-1", 1, plan.batches[1].key)
    assert plan.resumed([saved, saved]) == {1: saved}
    assert plan.resumed([saved])[1].positions == (2, 3)
    with pytest.raises(ValueError, match="is not a batch of these searches"):
        plan.resumed([StartedBatch("id-1", 2, plan.batches[1].key)])
    with pytest.raises(TypeError, match="resume takes StartedBatch records"):
        plan.resumed(["id-1"])  # type: ignore[list-item]
