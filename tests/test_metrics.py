"""Entity-level metrics on hand-worked examples."""

import pytest
from sklearn.metrics import make_scorer

from skneural.metrics import (
    entity_f1_score,
    entity_precision_recall_f1,
    get_entities,
    token_accuracy,
)


@pytest.mark.parametrize(
    "tags, scheme, expected",
    [
        # IOB2: every entity starts with B
        (["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"], "IOB2",
         [("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 6)]),
        # a stray I- after O starts an entity (conlleval)
        (["O", "I-ORG", "I-ORG", "O"], "BIO", [("ORG", 1, 3)]),
        # type change inside a run splits it
        (["B-PER", "I-LOC"], "IOB2", [("PER", 0, 1), ("LOC", 1, 2)]),
        # IOB1: I starts, B only separates two adjacent entities of a type
        (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], "IOB1",
         [("PER", 0, 2), ("PER", 2, 3), ("LOC", 4, 5)]),
        # BIOES: S single-token, B..E spans, entity at the very end
        (["S-PER", "B-ORG", "I-ORG", "E-ORG", "O", "B-LOC", "E-LOC"], "BIOES",
         [("PER", 0, 1), ("ORG", 1, 4), ("LOC", 5, 7)]),
        (["B-MISC", "E-MISC", "S-MISC"], "BIOES", [("MISC", 0, 2), ("MISC", 2, 3)]),
        (["O", "O"], "IOB2", []),
    ],
)  # fmt: skip
def test_get_entities(tags, scheme, expected):
    assert get_entities(tags, scheme) == expected


def test_scheme_errors():
    with pytest.raises(ValueError, match="not valid in the IOB2 scheme"):
        get_entities(["S-PER"], "IOB2")
    with pytest.raises(ValueError, match="scheme must be one of"):
        get_entities(["O"], "BILOU")


def test_precision_recall_f1_micro_and_per_type():
    y_true = [
        ["B-PER", "I-PER", "O", "B-LOC"],
        ["B-ORG", "O", "B-PER"],
    ]
    y_pred = [
        ["B-PER", "I-PER", "O", "O"],  # PER right, LOC missed
        ["B-ORG", "I-ORG", "B-PER"],  # ORG too long (wrong), PER right
    ]
    # 4 true entities, 3 predicted, 2 exact matches
    p, r, f = entity_precision_recall_f1(y_true, y_pred)
    assert (p, r) == (2 / 3, 2 / 4)
    assert f == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    per_type = entity_precision_recall_f1(y_true, y_pred, average=None)
    assert per_type["PER"] == (1.0, 1.0, 1.0, 2)
    assert per_type["LOC"] == (0.0, 0.0, 0.0, 1)
    assert per_type["ORG"] == (0.0, 0.0, 0.0, 1)
    assert entity_f1_score(y_true, y_true) == 1.0


def test_same_entity_in_different_sentences_counts_twice():
    y = [["B-PER"], ["B-PER"]]
    assert entity_precision_recall_f1(y, [["B-PER"], ["O"]]) == (1.0, 0.5, 2 / 3)


def test_length_mismatch_errors_and_token_accuracy():
    with pytest.raises(ValueError, match=r"len\(y_true\[0\]\)=2, len\(y_pred\[0\]\)=1"):
        entity_f1_score([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match=r"len\(y_true\)=1, len\(y_pred\)=2"):
        token_accuracy([["O"]], [["O"], ["O"]])
    assert token_accuracy([["A", "B"], ["C"]], [["A", "X"], ["C"]]) == 2 / 3


def test_make_scorer_with_another_scheme():
    from sklearn.base import BaseEstimator

    class Fixed(BaseEstimator):
        def predict(self, X):
            return [["S-PER", "O"]]

    scorer = make_scorer(entity_f1_score, scheme="BIOES")
    assert scorer(Fixed(), None, [["S-PER", "O"]]) == 1.0
