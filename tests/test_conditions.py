"""Three-valued condition evaluation (Kleene logic) and its explanations."""

import pytest

from graphflow.core.conditions import describe, evaluate, facts_in

T, F, U = True, False, None


def cond(name):
    return {"fact": name, "is": True}


@pytest.mark.parametrize("a,b,want", [
    (T, T, T), (T, F, F), (T, U, U), (F, U, F), (U, U, U), (F, F, F),
])
def test_all_is_kleene_and(a, b, want):
    facts = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
    assert evaluate({"all": [cond("a"), cond("b")]}, facts).value is want


@pytest.mark.parametrize("a,b,want", [
    (T, T, T), (T, F, T), (T, U, T), (F, U, U), (U, U, U), (F, F, F),
])
def test_any_is_kleene_or(a, b, want):
    facts = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
    assert evaluate({"any": [cond("a"), cond("b")]}, facts).value is want


def test_not_keeps_unknown():
    assert evaluate({"not": cond("a")}, {}).value is None
    assert evaluate({"not": cond("a")}, {"a": False}).value is True


def test_missing_facts_are_named_and_deciding_facts_reported():
    c = {"all": [cond("warrant"), {"any": [cond("felony"), cond("watchlist")]}]}
    out = evaluate(c, {"warrant": True})
    assert out.value is None
    assert out.missing == ["felony", "watchlist"]
    out = evaluate(c, {"warrant": False})
    assert out.value is False and out.used == {"warrant": False} and not out.missing


def test_comparators_and_membership():
    assert evaluate({"fact": "n", "gte": 2}, {"n": 2}).value is True
    assert evaluate({"fact": "n", "lt": 2}, {"n": 2}).value is False
    assert evaluate({"fact": "k", "in": ["x", "y"]}, {"k": "y"}).value is True
    assert evaluate({"fact": "k", "is": "x"}, {"k": "y"}).value is False


def test_describe_and_facts_in():
    c = {"all": [cond("w"), {"not": {"fact": "k", "in": ["a", "b"]}}, {"fact": "n", "lte": 5}]}
    assert describe(c) == "(w and not (k in (a, b)) and n <= 5)"
    assert [f for f, _ in facts_in(c)] == ["w", "k", "n"]


def test_no_eval_of_strings():
    with pytest.raises(ValueError):
        evaluate({"python": "__import__('os').system('true')"}, {})
