"""Who gets which card: fair assignment, caps, pauses, envelopes and their codes."""

from __future__ import annotations

from collections import Counter
from itertools import count

from hypothesis import given
from hypothesis import strategies as st

from cardsapp.domain.envelopes import (
    CODE_ALPHABET,
    CandidateCard,
    RecipientState,
    envelope_code,
    plan_batch,
    renew_codes,
    routing_code,
)


def anyone(n: int, start: int = 1) -> list[CandidateCard]:
    return [CandidateCard(i, None) for i in range(start, start + n)]


def recipient(
    rid: int, assigned: int = 0, per_batch: int = 10, per_campaign: int = 50, paused=False
):
    return RecipientState(rid, assigned, per_batch, per_campaign, paused)


def test_any_recipient_cards_go_to_the_least_served_first():
    people = [recipient(1, assigned=5), recipient(2, assigned=0), recipient(3, assigned=2)]
    plan = plan_batch(anyone(4), people, 10)
    # 2 has 0, gets cards until she reaches 3's count, then they alternate; 1 waits her turn.
    assert plan.cards_per_recipient() == {2: 3, 3: 1}


def test_cards_are_spread_evenly_when_everyone_starts_equal():
    plan = plan_batch(anyone(30), [recipient(i) for i in range(1, 7)], 30)
    assert set(plan.cards_per_recipient().values()) == {5}


def test_a_paused_recipient_gets_nothing_even_when_chosen():
    cards = [CandidateCard(1, 1), CandidateCard(2, None), CandidateCard(3, 1)]
    plan = plan_batch(cards, [recipient(1, paused=True), recipient(2)], 10)
    assert plan.cards_per_recipient() == {2: 1}
    assert plan.card_count == 1


def test_caps_per_batch_and_per_campaign_are_kept():
    people = [recipient(1, per_batch=2), recipient(2, assigned=48, per_campaign=50)]
    plan = plan_batch(anyone(10), people, 10)
    assert plan.cards_per_recipient() == {1: 2, 2: 2}


def test_chosen_cards_beyond_the_cap_wait_for_a_later_batch():
    cards = [CandidateCard(i, 1) for i in range(1, 6)]
    plan = plan_batch(cards, [recipient(1, per_batch=3)], 10)
    assert plan.envelopes[0].card_ids == [1, 2, 3]


def test_the_oldest_cards_are_taken_first_up_to_the_limit():
    plan = plan_batch(anyone(10), [recipient(1), recipient(2)], 4)
    assert sorted(i for e in plan.envelopes for i in e.card_ids) == [1, 2, 3, 4]


def test_one_envelope_per_recipient_with_distinct_random_codes():
    plan = plan_batch(anyone(20), [recipient(i) for i in range(1, 5)], 20)
    assert len(plan.envelopes) == 4
    assert len({e.recipient_id for e in plan.envelopes}) == 4
    assert len({e.code for e in plan.envelopes}) == 4
    assert all(set(e.code) <= set(CODE_ALPHABET) for e in plan.envelopes)


def test_codes_taken_elsewhere_are_renewed():
    codes = iter(["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD"])
    plan = plan_batch(anyone(2), [recipient(1, per_batch=1), recipient(2)], 2, lambda: next(codes))
    renew_codes(plan, {"AAAAAA"}, lambda: next(codes))
    assert sorted(e.code for e in plan.envelopes) == ["BBBBBB", "CCCCCC"]


def test_envelope_codes_say_nothing_and_repeat_rarely():
    codes = {envelope_code() for _ in range(2000)}
    assert len(codes) > 1990
    assert routing_code("K7QX2M9P", "Q4X7K2", 2, 3) == "K7QX2M9P · Q4X7K2 · 2/3"


@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(1, 5), st.booleans()), min_size=1, max_size=8
    ),
    st.lists(st.integers(0, 8), max_size=60),
    st.integers(1, 80),
)
def test_no_plan_breaks_a_cap_a_pause_or_the_limit(people_spec, chosen, limit):
    ids = count(1)
    people = [
        RecipientState(next(ids), assigned, per_batch, assigned + 10, paused)
        for assigned, per_batch, paused in people_spec
    ]
    known = {p.id for p in people}
    cards = [CandidateCard(i, c if c in known else None) for i, c in enumerate(chosen, start=1)]
    plan = plan_batch(cards, people, limit)
    given_to = plan.cards_per_recipient()
    assert plan.card_count <= limit
    for person in people:
        got = given_to.get(person.id, 0)
        assert not (person.paused and got)
        assert got <= person.cap_per_batch
        assert person.assigned + got <= person.cap_per_campaign
    taken = [i for e in plan.envelopes for i in e.card_ids]
    assert len(taken) == len(set(taken))
    by_id = {c.id: c for c in cards}
    for envelope in plan.envelopes:
        for card_id in envelope.card_ids:
            wanted = by_id[card_id].recipient_id
            assert wanted is None or wanted == envelope.recipient_id
    assert Counter(len(e.code) for e in plan.envelopes).keys() <= {6}
