# ruff: noqa: E501  (tables of cases read best one per line)
"""BiLSTMTagger and its CRF layer."""

import itertools
import pickle

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.model_selection import GridSearchCV, cross_val_score

from skneural import BiLSTMTagger
from skneural.datasets import make_lookahead_tagging
from skneural.metrics import entity_f1_scorer
from skneural.preprocessing import word_vector_table

# No xdist group: the module's tests (about 2 minutes of the suite) spread
# over the workers, so no worker runs them alone at the end; each worker
# makes the fitted fixture it needs (about 9 s) for itself.

# Small and quick: softmax output (the CRF, the default, is tested by name)
FAST = dict(
    units=16, embedding_dim=16, char_filters=8, epochs=5, crf=False, random_state=0
)


@pytest.fixture(scope="module")
def later_data():
    # a token's tag says whether the *next* word's number is even
    return make_lookahead_tagging(400, random_state=0), make_lookahead_tagging(
        200, random_state=1
    )


@pytest.fixture(scope="module")
def small_tagger(later_data):
    (X, Y), _ = later_data
    return BiLSTMTagger(**FAST).fit(X[:100], Y[:100])


# ---------------------------------------------------------------------- CRF


def _brute_force(emissions, transitions, start, end):
    """All paths' scores of one sequence, by enumeration."""
    n, k = emissions.shape
    paths = list(itertools.product(range(k), repeat=n))
    scores = []
    for path in paths:
        s = (
            start[path[0]]
            + end[path[-1]]
            + sum(emissions[t, p] for t, p in enumerate(path))
        )
        s += sum(transitions[a, b] for a, b in zip(path, path[1:]))
        scores.append(s)
    return paths, np.array(scores)


def test_crf_log_partition_and_viterbi_match_brute_force():
    import keras

    from skneural.architectures.crf import (
        crf_log_likelihood,
        crf_log_partition,
        crf_viterbi,
    )

    rng = np.random.RandomState(0)
    k, T = 3, 5
    lengths = [5, 3, 1]
    emissions = rng.normal(size=(3, T, k)).astype("float32")
    transitions = rng.normal(size=(k, k)).astype("float32")
    start, end = (
        rng.normal(size=k).astype("float32"),
        rng.normal(size=k).astype("float32"),
    )
    mask = np.arange(T)[None, :] < np.array(lengths)[:, None]

    log_z = keras.ops.convert_to_numpy(
        crf_log_partition(emissions, mask, transitions, start, end)
    )
    best = crf_viterbi(emissions, mask, transitions, start, end)
    for i, n in enumerate(lengths):
        paths, scores = _brute_force(emissions[i, :n], transitions, start, end)
        assert log_z[i] == pytest.approx(logsumexp(scores), rel=1e-5)
        assert tuple(best[i, :n]) == paths[int(np.argmax(scores))]
        assert (best[i, n:] == 0).all()
        # likelihood of a given path = its score - log Z
        tags = np.zeros((1, T), dtype="int32")
        tags[0, :n] = paths[7 % len(paths)]
        ll = crf_log_likelihood(
            emissions[i : i + 1], tags, mask[i : i + 1], transitions, start, end
        )
        expected = scores[7 % len(paths)] - logsumexp(scores)
        assert float(keras.ops.convert_to_numpy(ll)[0]) == pytest.approx(
            expected, rel=1e-4
        )


def test_crf_marginals_sum_to_one_and_match_brute_force():
    from skneural.architectures.crf import crf_marginals

    rng = np.random.RandomState(1)
    emissions, transitions = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))
    start, end = rng.normal(size=3), rng.normal(size=3)
    marg = crf_marginals(emissions, transitions, start, end)
    paths, scores = _brute_force(emissions, transitions, start, end)
    probs = np.exp(scores - logsumexp(scores))
    expected = np.zeros((4, 3))
    for path, p in zip(paths, probs):
        for t, tag in enumerate(path):
            expected[t, tag] += p
    assert np.allclose(marg, expected)
    assert np.allclose(marg.sum(axis=1), 1)


# ------------------------------------------------------------------ quality


@pytest.mark.slow  # 41 s here: two 2-core minutes of the default run
def test_bidirectional_reads_later_tokens_unidirectional_cannot(later_data):
    (X, Y), (X_test, Y_test) = later_data
    bi = BiLSTMTagger(random_state=0).fit(X, Y)
    assert bi.score(X_test, Y_test) >= 0.98
    uni = BiLSTMTagger(bidirectional=False, random_state=0).fit(X, Y)
    # the next token is unseen from the left: about half the A/B tags wrong
    assert uni.score(X_test, Y_test) < 0.8


@pytest.mark.slow  # 33 s here
def test_crf_tagger_learns_the_same_task(later_data):
    (X, Y), (X_test, Y_test) = later_data
    crf = BiLSTMTagger(crf=True, random_state=0).fit(X, Y)
    assert crf.score(X_test, Y_test) >= 0.98
    proba = crf.predict_proba(X_test[:3])
    assert [p.shape for p in proba] == [(len(s), 3) for s in X_test[:3]]
    assert all(np.allclose(p.sum(axis=1), 1) for p in proba)


def test_character_features_tag_unseen_words_by_spelling():
    rng = np.random.RandomState(0)
    stems = ["".join(rng.choice(list("bcdfgklmnprst"), 4)) for _ in range(200)]
    suffix = {"V": "ing", "N": "ness", "A": "ous"}

    def make(stems_used, n):
        X, Y = [], []
        for _ in range(n):
            tags = list(rng.choice(list(suffix), rng.randint(3, 7)))
            X.append([rng.choice(stems_used) + suffix[t] for t in tags])
            Y.append(tags)
        return X, Y

    X, Y = make(stems[:100], 300)
    X_new, Y_new = make(stems[100:], 100)  # no test word was seen in fit
    params = {**FAST, "epochs": 30}
    with_chars = BiLSTMTagger(**params).fit(X, Y)
    assert with_chars.score(X_new, Y_new) >= 0.95
    words_only = BiLSTMTagger(char_features=False, **params).fit(X, Y)
    assert words_only.score(X_new, Y_new) < 0.6


def _opaque_words(rng, n, alphabet="bcdfgklmnprst"):
    """``n`` distinct random lowercase words: spelling says nothing."""
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(list(alphabet), 5)))
    return sorted(words)


def _tagged_by_word_class(rng, classes, n):
    """Sentences of words drawn from ``classes`` (tag -> words), tagged so."""
    tags = sorted(classes)
    X, Y = [], []
    for _ in range(n):
        sentence_tags = list(rng.choice(tags, rng.randint(3, 7)))
        X.append([str(rng.choice(classes[t])) for t in sentence_tags])
        Y.append(sentence_tags)
    return X, Y


def test_token_shapes_tag_unseen_words_by_casing_and_digits():
    rng = np.random.RandomState(0)
    stems = _opaque_words(rng, 200)
    digits = ["".join(rng.choice(list("0123456789"), 4)) for _ in range(200)]

    def classes(part):
        return {
            "NAME": [w.capitalize() for w in stems[part]],
            "WORD": stems[part],
            "NUM": digits[part],
        }

    X, Y = _tagged_by_word_class(rng, classes(slice(0, 100)), 300)
    X_new, Y_new = _tagged_by_word_class(rng, classes(slice(100, 200)), 100)
    # without characters, a word never seen in fit is told only by its shape
    params = {**FAST, "epochs": 30, "char_features": False}
    shapes = BiLSTMTagger(**params).fit(X, Y)
    assert set(shapes.shape_vocabulary_) == {"Aa", "a", "0"}
    assert shapes.score(X_new, Y_new) >= 0.95
    no_shapes = BiLSTMTagger(shape_features=False, **params).fit(X, Y)
    assert not hasattr(no_shapes, "shape_vocabulary_")
    assert no_shapes.score(X_new, Y_new) < 0.6


@pytest.fixture(scope="module")
def vector_task():
    """Opaque words whose class only pre-trained vectors know; half unseen."""
    from gensim.models import KeyedVectors

    rng = np.random.RandomState(0)
    words = _opaque_words(rng, 240)
    tags = ["A", "B", "C"]
    word_class = {w: tags[i % 3] for i, w in enumerate(words)}
    # each class's vectors scatter around its own direction
    centres = rng.normal(size=(3, 8))
    matrix = np.array(
        [centres[tags.index(word_class[w])] + 0.3 * rng.normal(size=8) for w in words],
        dtype=np.float32,
    )
    vectors = KeyedVectors(8)
    vectors.add_vectors(words, matrix)
    seen, unseen = words[:120], words[120:]

    def classes(part):
        return {t: [w for w in part if word_class[w] == t] for t in tags}

    train = _tagged_by_word_class(rng, classes(seen), 300)
    test = _tagged_by_word_class(rng, classes(unseen), 100)
    return vectors, words, matrix, train, test


def test_word_vectors_tag_words_never_seen_in_fit(vector_task):
    vectors, words, matrix, (X, Y), (X_new, Y_new) = vector_task
    # (the words are random letters: spelling says nothing, so no character
    # features, a smaller network to trace)
    params = {**FAST, "epochs": 30, "char_features": False}
    plain = BiLSTMTagger(**params).fit(X, Y)
    assert plain.score(X_new, Y_new) < 0.6  # 3 balanced tags: about 1/3
    tagger = BiLSTMTagger(word_vectors=vectors, **params).fit(X, Y)
    assert tagger.score(X_new, Y_new) >= 0.95
    assert tagger.vector_vocabulary_ == {w: i + 2 for i, w in enumerate(words)}
    # held fixed while the rest trains; rows 0 and 1 (padding, no vector) zero
    table = tagger.model_.get_layer("word_vectors").get_weights()[0]
    np.testing.assert_array_equal(table[2:], matrix)
    assert not table[:2].any()
    # a word the tagger reads in upper case gets its lowercase form's vector
    upper = [[w.upper() for w in s] for s in X_new[:20]]
    assert tagger.score(upper, Y_new[:20]) >= 0.95
    # the same vectors as a dict or a (words, matrix) pair: the same table
    for given in (dict(zip(words, matrix)), (words, matrix)):
        same_words, same_matrix = word_vector_table(given)
        assert same_words == words
        np.testing.assert_array_equal(same_matrix, matrix)
    restored = pickle.loads(pickle.dumps(tagger))
    assert restored.predict(X_new) == tagger.predict(X_new)


def test_word2vec_vectors_from_unlabeled_text_help(vector_task):
    # Word2Vec learns the words' classes from unlabeled text alone: there
    # each word comes with its class's marker word. The labelled sentences
    # have no markers, and half the words are never labelled.
    from gensim.models import Word2Vec

    _, words, matrix, (X, Y), (X_new, Y_new) = vector_task
    rng = np.random.RandomState(1)
    word_class = {
        w: t for s, tags in zip(X + X_new, Y + Y_new) for w, t in zip(s, tags)
    }
    unlabeled = [
        ["marker" + word_class[w], str(w)]
        for w in rng.choice(sorted(word_class), 10000)
    ]
    vectors = Word2Vec(
        unlabeled,
        vector_size=16,
        window=1,
        min_count=1,
        sg=1,
        epochs=20,
        workers=1,
        seed=0,
    ).wv
    tagger = BiLSTMTagger(word_vectors=vectors, **{**FAST, "epochs": 30}).fit(X, Y)
    # without vectors about 1/3 (test_word_vectors_tag_words_never_seen_in_fit)
    assert tagger.score(X_new, Y_new) >= 0.9


@pytest.mark.parametrize(
    "word_vectors, error, match",
    [
        ({"a": [1.0, 2.0], "b": [1.0]}, ValueError, r"vectors of one length. Received vectors of shapes \[\(1,\), \(2,\)\]"),
        ((["a", "b"], np.ones((3, 2))), ValueError, r"Received: 2 words and vectors of shape \(3, 2\)"),
        ((["a"], np.array([[np.nan]])), ValueError, "NaN or infinite"),
        ({}, ValueError, r"Received: 0 words"),
        ([1.0, 2.0], ValueError, "'word_vectors' parameter of BiLSTMTagger must be"),
    ],
)  # fmt: skip
def test_bad_word_vectors_are_refused_before_training(word_vectors, error, match):
    tagger = BiLSTMTagger(word_vectors=word_vectors, **FAST)
    with pytest.raises(error, match=match):
        tagger.fit([["a", "b"]], [["O", "O"]])
    assert not hasattr(tagger, "model_")


def test_numeric_sequences():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(t, 2)) for t in rng.randint(5, 15, size=150)]
    Y = [np.where(s[:, 0] > 0, "up", "down").tolist() for s in X]
    est = BiLSTMTagger(**{**FAST, "epochs": 40}).fit(X, Y)
    assert est.n_features_in_ == 2
    assert est.score(X, Y) > 0.9
    with pytest.raises(ValueError, match="3 features per step.*fitted with 2"):
        est.predict([np.ones((4, 3))])
    with pytest.raises(ValueError, match="fitted on numeric sequences"):
        est.predict([["a", "b"]])


# ------------------------------------------------------------- sklearn API


def test_predict_shapes_proba_and_unseen_tags(small_tagger, later_data):
    (X, Y), _ = later_data
    pred = small_tagger.predict(X[:5])
    assert [len(p) for p in pred] == [len(s) for s in X[:5]]
    assert set(small_tagger.classes_) == {"A", "B", "E"}
    proba = small_tagger.predict_proba(X[:5])
    assert all(np.allclose(p.sum(1), 1) for p in proba)
    assert all(
        (small_tagger.classes_[p.argmax(1)] == np.array(t)).all()
        for p, t in zip(proba, pred)
    )
    # a tag never seen in fit is simply an error in score, not a crash
    y_odd = [["Z"] * len(s) for s in X[:5]]
    assert small_tagger.score(X[:5], y_odd) == 0.0
    # unseen words map to the out-of-vocabulary index
    word_ids = small_tagger._prepare_X([["never", "w3"]], reset=False)[0]
    assert word_ids.tolist() == [[1, small_tagger.vocabulary_["w3"]]]
    assert len(small_tagger.predict([["never", "seen"]])[0]) == 2


def test_pickle_reproducibility_and_warm_start(later_data):
    (X, Y), _ = later_data
    for crf in (False, True):
        a = BiLSTMTagger(**{**FAST, "crf": crf}).fit(X[:60], Y[:60])
        if not crf:  # (the CRF tagger's seeds: tests/test_randomness.py)
            b = BiLSTMTagger(**{**FAST, "crf": crf}).fit(X[:60], Y[:60])
            assert a.predict(X[:20]) == b.predict(X[:20])
        restored = pickle.loads(pickle.dumps(a))
        for p, q in zip(restored.predict_proba(X[:20]), a.predict_proba(X[:20])):
            assert np.allclose(p, q, atol=1e-6)
    warm = BiLSTMTagger(warm_start=True, early_stopping=False, **{**FAST, "epochs": 2})
    warm.fit(X[:60], Y[:60]).fit(X[:60], Y[:60])
    assert warm.n_iter_ == 4


def test_class_weight_changes_the_loss(later_data):
    (X, Y), _ = later_data
    params = {**FAST, "epochs": 2, "early_stopping": False, "char_features": False}
    plain = BiLSTMTagger(**params).fit(X[:60], Y[:60])
    weighted = BiLSTMTagger(class_weight={"E": 5.0}, **params).fit(X[:60], Y[:60])
    assert weighted.tag_weights_.tolist() == [1.0, 1.0, 5.0]
    assert weighted.loss_curve_[0] > plain.loss_curve_[0]
    balanced = BiLSTMTagger(class_weight="balanced", **params).fit(X[:60], Y[:60])
    assert balanced.tag_weights_[2] > balanced.tag_weights_[0]


def test_grid_search_and_cross_val_with_span_f1():
    rng = np.random.RandomState(0)
    names = ["anna", "bob", "carl"]
    X, Y = [], []
    for _ in range(90):
        sentence = list(rng.choice(["the", "a", "saw", "met"], 4))
        i = rng.randint(0, 3)
        sentence[i : i + 2] = [rng.choice(names), "smith"]
        tags = ["O"] * 4
        tags[i : i + 2] = ["B-PER", "I-PER"]
        X.append(sentence)
        Y.append(tags)
    # 45 sentences a fold are few steps: a larger step size learns the task
    # in 8 epochs (all folds 1.0 on seeds 0-2; at 0.001, 12 epochs gave
    # 0.57-0.85). Every word is seen in fit: no character features.
    params = {
        **FAST,
        "epochs": 8,
        "batch_size": 8,
        "learning_rate": 0.01,
        "char_features": False,
    }
    scores = cross_val_score(BiLSTMTagger(**params), X, Y, cv=2)
    assert scores.mean() > 0.9  # token accuracy, the estimator's score
    search = GridSearchCV(
        BiLSTMTagger(**params), {"crf": [False, True]}, cv=2, scoring=entity_f1_scorer
    ).fit(X, Y)
    assert search.best_score_ > 0.8
    assert set(search.cv_results_["param_crf"]) == {False, True}


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        ([["a", "b"]], [["O"]], ValueError, r"len\(X\[0\]\)=2, len\(y\[0\]\)=1"),
        ([["a"], []], [["O"], []], ValueError, r"Received: X\[1\] with 0 tokens"),
        ([], [], ValueError, "Received: X=\\[\\] \\(0 sentences\\)"),
        ([["a", 3]], [["O", "O"]], TypeError, "mixes tokens that are not strings"),
        ([np.ones((3, 2)), np.ones((3, 4))], [["O"] * 3] * 2, ValueError, "same number of features"),
        (np.ones((4, 5)), [["O"] * 5] * 4, ValueError, "Received a 2-D array of shape"),
        ([["a"], ["b"]], [["O"]], ValueError, r"len\(X\)=2, len\(y\)=1"),
    ],
)  # fmt: skip
def test_bad_input(X, y, error, match):
    with pytest.raises(error, match=match):
        BiLSTMTagger(**FAST).fit(X, y)
