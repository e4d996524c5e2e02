"""The transition table: every allowed move is allowed, every other refused."""

import itertools

import pytest

from hejie.complaints.states import NEW, TABLE, Side, State, allowed_actions, check
from hejie.core.errors import Conflict, NotAllowed

ALL_STATES = [NEW, *State.values]
CASES = list(itertools.product(TABLE, ALL_STATES, Side.values))


@pytest.mark.parametrize(("action", "state", "side"), CASES)
def test_every_cell_of_the_table(action, state, side):
    rule = TABLE[action]
    if side in rule.sides and state in rule.sources:
        assert check(action, state, side) is rule
    elif side not in rule.sides:
        with pytest.raises(NotAllowed):
            check(action, state, side)
    else:
        with pytest.raises(Conflict):
            check(action, state, side)


def test_only_the_consumer_settles():
    settling = [a for a, r in TABLE.items() if r.to == State.SETTLED]
    assert settling == ["accept"]
    assert TABLE["accept"].sides == {Side.CONSUMER}


def test_terminal_states_have_no_way_out_except_mediation():
    for state in (State.REJECTED, State.WITHDRAWN, State.UNRESPONSIVE, State.MEDIATED, State.MEDIATION_FAILED):
        moves = [a for a, r in TABLE.items() if r.to is not None and state in r.sources]
        assert moves == [], (state, moves)
    assert [a for a, r in TABLE.items() if r.to and State.FAILED in r.sources] == ["request_mediation"]


def test_every_state_is_reachable():
    reached = {NEW}
    frontier = [NEW]
    while frontier:
        s = frontier.pop()
        for rule in TABLE.values():
            if s in rule.sources and rule.to and rule.to not in reached:
                reached.add(rule.to)
                frontier.append(rule.to)
    assert reached == set(ALL_STATES)


def test_allowed_actions_lists_what_check_allows():
    assert set(allowed_actions(State.NEGOTIATING, Side.CONSUMER)) == {
        "accept", "withdraw", "message", "evidence", "reject_proposal"}
    assert "propose" in allowed_actions(State.DELIVERED, Side.BUSINESS)
    assert allowed_actions(State.WITHDRAWN, Side.BUSINESS) == []
