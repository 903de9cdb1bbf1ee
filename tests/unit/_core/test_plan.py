"""A list job's plan: each distinct item in exactly one batch, stable keys, and what a
record already started kept, whatever was edited around it."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from enrow_async import BatchRecord, EmailSearch, RecordState, search_identity
from enrow_async._core.plan import ListPlan, batch_key

# Few names and domains, so that lists hold duplicates (in case, spacing and URL form too).
NAMES = st.sampled_from(["Jim Halpert", "JIM  halpert", "Pam Beesly", " pam beesly", "Oscar"])
DOMAINS = st.sampled_from(["acme.com", "https://www.ACME.com/x", "b.io", "www.b.io."])
SEARCHES = st.lists(
    st.builds(EmailSearch, NAMES, DOMAINS, custom=st.integers(0, 9) | st.none()), max_size=40
)


def plan_of(
    searches: Sequence[EmailSearch], size: int, records: Sequence[BatchRecord] = (), **kw: bool
) -> ListPlan[EmailSearch]:
    return ListPlan(searches, search_identity, batch_size=size, settings="", records=records, **kw)


def people(n: int, start: int = 0) -> list[EmailSearch]:
    return [EmailSearch(f"Person {i}", f"co{i}.com") for i in range(start, start + n)]


def started(
    plan: ListPlan[EmailSearch], state: RecordState = RecordState.STARTED
) -> list[BatchRecord]:
    """What a run that started every batch of ``plan`` wrote last."""
    return [
        BatchRecord(state, b.number, b.key, b.digests, batch_id=f"id-{b.number}")
        for b in plan.batches
    ]


@given(SEARCHES, st.integers(1, 7))
def test_every_distinct_search_is_sent_once_and_every_position_covered(
    searches: list[EmailSearch], size: int
) -> None:
    plan = plan_of(searches, size)
    sent = [search for batch in plan.batches for search in batch.items]
    identities = [search_identity(s) for s in sent]
    assert len(set(identities)) == len(identities) == len({search_identity(s) for s in searches})
    assert plan.duplicates == len(searches) - len(sent)
    assert all(1 <= len(batch.items) <= size for batch in plan.batches)
    covered = sorted(p for b in plan.batches for p in plan.positions(b.number))
    assert covered == list(range(len(searches)))
    for batch in plan.batches:
        for index, positions in plan.owners(batch.number).items():
            for position in positions:
                assert search_identity(searches[position]) == search_identity(batch.items[index])


def test_keys_depend_on_the_searches_and_the_settings_only() -> None:
    searches = people(4)
    restyled = [
        EmailSearch(s.fullname.upper(), f"https://www.{s.company_domain}/") for s in searches
    ]
    keys = [b.key for b in plan_of(searches, 2).batches]
    assert [b.key for b in plan_of(restyled, 2).batches] == keys
    other = ListPlan(searches, search_identity, batch_size=2, settings="fr|False")
    assert [b.key for b in other.batches] != keys
    assert keys == [batch_key(b.digests) for b in plan_of(searches, 2).batches]


@given(SEARCHES, SEARCHES, st.integers(1, 7))
def test_a_recorded_start_is_never_planned_again_whatever_the_edit(
    before: list[EmailSearch], after: list[EmailSearch], size: int
) -> None:
    first = plan_of(before, size)
    second = plan_of(after, size, started(first))
    recorded = {search_identity(s) for s in before}
    again = [search_identity(s) for b in second.batches for s in b.items]
    assert not recorded & set(again)
    wanted = {search_identity(s) for s in after}
    assert set(again) == wanted - recorded
    covered = sorted(
        p
        for n in [*(r.number for r in second.started), *(b.number for b in second.batches)]
        for p in second.positions(n)
    )
    assert covered == list(range(len(after)))
    assert {b.number for b in second.batches}.isdisjoint(r.number for r in started(first))


def test_an_edited_row_sends_only_that_row_and_names_the_batches_kept() -> None:
    searches = people(10)
    first = plan_of(searches, 5)
    edited = [*searches[:7], EmailSearch("Someone Else", "co7.com"), *searches[8:]]
    second = plan_of(edited, 5, started(first))
    assert [list(b.items) for b in second.batches] == [[EmailSearch("Someone Else", "co7.com")]]
    assert [r.number for r in second.started] == [0, 1]
    assert [second.kept(r.number) for r in second.started] == [5, 4]
    assert second.batches[0].number == 2
    assert second.positions(1) == (5, 6, 8, 9)


def test_a_started_batch_no_row_needs_is_unused() -> None:
    first = plan_of(people(4), 2)
    second = plan_of(people(2), 2, started(first))
    assert [r.number for r in second.unused] == [1]
    assert second.batches == []


def test_unknown_starts_are_held_back_unless_resent() -> None:
    first = plan_of(people(4), 2)
    records = [started(first)[0], started(first, RecordState.UNKNOWN)[1]]
    held = plan_of(people(4), 2, records)
    assert held.batches == []
    assert [r.number for r in held.uncertain] == [1]
    assert held.positions(1) == (2, 3)
    resent = plan_of(people(4), 2, records, resend_unknown=True)
    assert [list(b.items) for b in resent.batches] == [people(2, 2)]


def test_a_refusal_forgets_the_batch_and_a_posting_alone_is_in_doubt() -> None:
    first = plan_of(people(4), 2)
    posting, refused = (
        started(first, state)[0] for state in (RecordState.POSTING, RecordState.REFUSED)
    )
    assert plan_of(people(4), 2, [posting, refused]).uncertain == []
    assert [r.number for r in plan_of(people(4), 2, [posting]).uncertain] == [0]
    done = started(first)[0]
    assert [r.number for r in plan_of(people(4), 2, [posting, done]).started] == [0]


def test_retry_moves_the_items_without_a_result_to_a_new_batch() -> None:
    plan = plan_of(people(4), 2)
    again = plan.retry(0, [1])
    assert [list(b.items) for b in again] == [[people(4)[1]]]
    assert again[0].number == 2
    assert plan.positions(0) == (0,)
    assert plan.positions(2) == (1,)
    assert dict(plan.owners(2)) == {0: [1]}
