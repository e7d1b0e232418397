"""Entity-level (span) metrics for IOB1, IOB2 (BIO) and BIOES tag sequences.

Tags are strings such as ``"B-PER"``, ``"I-PER"``, ``"E-PER"``, ``"S-PER"``
and ``"O"``. A span is found the way the CoNLL ``conlleval`` script finds
chunks: it starts at a ``B``/``S`` tag, or at an ``I``/``E`` tag whose
previous tag is ``O``, ends a chunk, or has another type; it ends before a
tag that starts a new chunk or at an ``E``/``S`` tag. Under these rules IOB1
(``I`` starts an entity, ``B`` only separates two adjacent entities of one
type), IOB2 (every entity starts with ``B``) and BIOES are all read
correctly. A predicted entity counts only when type, start and end all
match a true entity.
"""

from collections import Counter

import numpy as np

__all__ = [
    "get_entities",
    "entity_precision_recall_f1",
    "entity_f1_score",
    "entity_f1_scorer",
    "token_accuracy",
]

SCHEMES = ("IOB1", "IOB2", "BIO", "BIOES")


def _split(tag):
    tag = str(tag)
    if tag == "O" or tag == "":
        return "O", ""
    prefix, _, kind = tag.partition("-")
    return prefix.upper(), kind


def _check_scheme(scheme, prefixes):
    if scheme not in SCHEMES:
        raise ValueError(
            f"scheme must be one of {SCHEMES}. Received: scheme={scheme!r}"
        )
    allowed = {"B", "I", "O"} if scheme != "BIOES" else {"B", "I", "O", "E", "S"}
    bad = set(prefixes) - allowed
    if bad:
        raise ValueError(
            f"Tags with prefixes {sorted(bad)} are not valid in the {scheme} "
            f"scheme; expected prefixes in {sorted(allowed)}. Received: "
            f"scheme={scheme!r}"
        )


def get_entities(tags, scheme="IOB2"):
    """Entities in one tag sequence, as ``(type, start, end)`` (end exclusive).

    Parameters
    ----------
    tags : sequence of str
        One sentence's tags.
    scheme : {"IOB1", "IOB2", "BIO", "BIOES"}, default="IOB2"
        Tagging scheme (``"BIO"`` is another name for IOB2).

    Returns
    -------
    entities : list of tuple
        ``(type, start, end)`` for every entity, in order.

    Examples
    --------
    >>> from skneural.metrics import get_entities
    >>> get_entities(["B-PER", "I-PER", "O", "B-LOC"])
    [('PER', 0, 2), ('LOC', 3, 4)]
    >>> get_entities(["I-PER", "I-PER", "B-PER"], scheme="IOB1")
    [('PER', 0, 2), ('PER', 2, 3)]
    >>> get_entities(["S-LOC", "B-ORG", "E-ORG"], scheme="BIOES")
    [('LOC', 0, 1), ('ORG', 1, 3)]
    """
    parsed = [_split(t) for t in tags]
    _check_scheme(scheme, {p for p, _ in parsed})
    entities = []
    start, kind = None, None
    prev_prefix, prev_kind = "O", ""
    for i, (prefix, k) in enumerate(parsed + [("O", "")]):
        starts = prefix in ("B", "S") or (
            prefix in ("I", "E") and (prev_prefix in ("O", "E", "S") or k != prev_kind)
        )
        ends_before = start is not None and (
            prefix == "O" or starts or prev_prefix in ("E", "S")
        )
        if ends_before:
            entities.append((kind, start, i))
            start = None
        if prefix != "O" and (starts or start is None):
            start, kind = i, k
        prev_prefix, prev_kind = prefix, k
    return entities


def _entity_sets(y, scheme):
    return [
        {(kind, s, e, n) for kind, s, e in get_entities(tags, scheme)}
        for n, tags in enumerate(y)
    ]


def entity_precision_recall_f1(y_true, y_pred, *, scheme="IOB2", average="micro"):
    """Precision, recall and F1 of exact-match entities.

    Parameters
    ----------
    y_true, y_pred : list of sequences of str
        True and predicted tags, sentence by sentence (same lengths).
    scheme : {"IOB1", "IOB2", "BIO", "BIOES"}, default="IOB2"
        Tagging scheme.
    average : {"micro", None}, default="micro"
        "micro": one ``(precision, recall, f1)`` over all entities. None: a
        dict from entity type to ``(precision, recall, f1, support)``.

    Returns
    -------
    scores : tuple or dict

    Examples
    --------
    >>> from skneural.metrics import entity_precision_recall_f1
    >>> y_true = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> y_pred = [["B-PER", "I-PER", "O", "O"]]
    >>> entity_precision_recall_f1(y_true, y_pred)
    (1.0, 0.5, 0.6666666666666666)
    """
    _check_lengths(y_true, y_pred)
    true = set().union(*_entity_sets(y_true, scheme))
    pred = set().union(*_entity_sets(y_pred, scheme))
    if average == "micro":
        return _prf(len(true & pred), len(pred), len(true))
    if average is not None:
        raise ValueError(
            f"average must be 'micro' or None. Received: average={average!r}"
        )
    hits = Counter(e[0] for e in true & pred)
    n_pred = Counter(e[0] for e in pred)
    n_true = Counter(e[0] for e in true)
    return {
        kind: _prf(hits[kind], n_pred[kind], n_true[kind]) + (n_true[kind],)
        for kind in sorted(set(n_true) | set(n_pred))
    }


def _check_lengths(y_true, y_pred):
    """Same number of sentences, and of tags in each sentence."""
    if len(y_true) != len(y_pred):
        raise ValueError(
            "y_true and y_pred must hold the same number of sentences. "
            f"Received: len(y_true)={len(y_true)}, len(y_pred)={len(y_pred)}"
        )
    for i, (a, b) in enumerate(zip(y_true, y_pred)):
        if len(a) != len(b):
            raise ValueError(
                f"Sentence {i} must have as many predicted tags as true tags. "
                f"Received: len(y_true[{i}])={len(a)}, len(y_pred[{i}])={len(b)}"
            )


def _prf(hits, n_pred, n_true):
    precision = hits / n_pred if n_pred else 0.0
    recall = hits / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def entity_f1_score(y_true, y_pred, *, scheme="IOB2"):
    """Micro-averaged entity F1 (see :func:`entity_precision_recall_f1`).

    Parameters
    ----------
    y_true, y_pred : list of sequences of str
        True and predicted tags, sentence by sentence.
    scheme : {"IOB1", "IOB2", "BIO", "BIOES"}, default="IOB2"
        Tagging scheme.

    Returns
    -------
    f1 : float

    Examples
    --------
    >>> from skneural.metrics import entity_f1_score
    >>> entity_f1_score([["B-PER", "O"]], [["B-PER", "O"]])
    1.0
    """
    return entity_precision_recall_f1(y_true, y_pred, scheme=scheme)[2]


def entity_f1_scorer(estimator, X, y):
    """Scorer for ``GridSearchCV(..., scoring=entity_f1_scorer)`` (IOB2).

    For another scheme use
    ``sklearn.metrics.make_scorer(entity_f1_score, scheme="BIOES")``.

    Parameters
    ----------
    estimator : fitted tagger
        Anything whose ``predict(X)`` returns tag sequences.
    X : list of sequences
        Sentences.
    y : list of sequences of str
        True tags.

    Returns
    -------
    f1 : float

    Examples
    --------
    >>> from skneural import BiLSTMTagger
    >>> from skneural.metrics import entity_f1_scorer
    >>> X = [["Ann", "met", "Bob"], ["Bob", "left"]] * 10
    >>> y = [["B-PER", "O", "B-PER"], ["B-PER", "O"]] * 10
    >>> tagger = BiLSTMTagger(units=8, epochs=2, random_state=0).fit(X, y)
    >>> 0.0 <= entity_f1_scorer(tagger, X, y) <= 1.0
    True
    """
    return entity_f1_score(y, estimator.predict(X))


def token_accuracy(y_true, y_pred):
    """Share of tokens whose predicted tag equals the true tag.

    Parameters
    ----------
    y_true, y_pred : list of sequences
        True and predicted tags, sentence by sentence (same lengths).

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> from skneural.metrics import token_accuracy
    >>> token_accuracy([["B-PER", "O"], ["O"]], [["B-PER", "B-LOC"], ["O"]])
    0.6666666666666666
    """
    _check_lengths(y_true, y_pred)
    correct = total = 0
    for a, b in zip(y_true, y_pred):
        correct += int(np.sum([x == z for x, z in zip(a, b)]))
        total += len(a)
    return correct / total if total else 0.0
