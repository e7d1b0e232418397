"""``fit`` and prediction of a ``keras.utils.PyDataset``, batch by batch.

What ``fit`` learns before training (statistics, classes, vocabularies) is
gathered in one streaming pass and must equal what an in-memory fit of the
same rows learns; predictions of a dataset equal those of its arrays; bad
datasets get errors that name the batch.
"""

import tracemalloc
import warnings

import keras
import numpy as np
import pytest
from conftest import FAST_CNN

from skneural import (
    AutoencoderAnomalyDetector,
    AutoencoderTransformer,
    BiLSTMTagger,
    CNNClassifier,
    LSTMSequenceClassifier,
    NeuralClassifier,
    NeuralRegressor,
)
from skneural.datasets import make_lookahead_tagging


class Batches(keras.utils.PyDataset):
    """A dataset of fixed batches, counting its epochs and reads."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches
        self.epochs_ended = 0
        self.reads = 0

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        self.reads += 1
        return self.batches[i]

    def on_epoch_end(self):
        self.epochs_ended += 1


def _cut(size, *arrays):
    """Batches of ``size`` rows of each array (the last one shorter)."""
    n = len(arrays[0])
    out = []
    for start in range(0, n, size):
        part = tuple(a[start : start + size] for a in arrays)
        out.append(part if len(part) > 1 else part[0])
    return out


def _sequences(n, seed):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(rng.randint(4, 12), 2)) for _ in range(n)]
    return X, np.array([int(s[0, 0] > 0) for s in X])


def _cases(small_digits):
    """(estimator, in-memory args) for every estimator."""
    X, y = small_digits
    X = X[:301]  # 301 rows: a last batch of one row
    y = y[:301]
    S, t = _sequences(121, 0)
    W, T = make_lookahead_tagging(121, random_state=0)
    ae = dict(hidden_layer_sizes=(16,), n_components=4, epochs=2, random_state=0)
    return {
        "cnn": (CNNClassifier(**{**FAST_CNN, "epochs": 2}), (X, y)),
        "ae": (AutoencoderTransformer(**ae), (X,)),
        "detector": (AutoencoderAnomalyDetector(**ae), (X,)),
        "lstm": (LSTMSequenceClassifier(units=4, epochs=2, random_state=0), (S, t)),
        "tagger": (
            BiLSTMTagger(
                units=4,
                embedding_dim=4,
                char_filters=2,
                min_frequency=2,
                epochs=2,
                random_state=0,
            ),
            (W, T),
        ),
        "classifier": (NeuralClassifier(epochs=2, random_state=0), (X, y)),
        "regressor": (NeuralRegressor(epochs=2, random_state=0), (X, y * 1.5)),
    }


NAMES = ["cnn", "ae", "detector", "lstm", "tagger", "classifier", "regressor"]

#: What fit learns from the whole data, per estimator (beside n_features_in_).
LEARNED = ("mean_", "scale_", "classes_", "vocabulary_", "char_vocabulary_")


@pytest.mark.parametrize("name", NAMES)
def test_dataset_fit_learns_what_an_array_fit_learns(small_digits, name):
    est, args = _cases(small_digits)[name]
    est.set_params(early_stopping=False)
    batch = 30  # 301 rows or 121 sequences: the last batch holds one
    dataset = Batches(_cut(batch, *args))
    streamed = type(est)(**est.get_params()).fit(dataset)
    in_memory = type(est)(**est.get_params()).fit(*args)
    for attr in LEARNED + ("n_features_in_", "y_mean_", "y_scale_"):
        if hasattr(in_memory, attr):
            a, b = getattr(streamed, attr), getattr(in_memory, attr)
            if isinstance(b, dict):
                assert a == b, attr
            elif np.asarray(b).dtype.kind in "fc":
                np.testing.assert_allclose(a, b, rtol=1e-9, err_msg=attr)
            else:
                np.testing.assert_array_equal(a, b, err_msg=attr)
    # every batch trained, in the dataset's order, and the dataset heard of
    # each epoch's end, as keras.Model.fit tells it
    assert streamed.n_iter_ == est.epochs
    assert dataset.epochs_ended == est.epochs
    assert np.isfinite(streamed.loss_curve_).all()
    if name == "tagger":
        # min_frequency=2 counts over all batches: words seen once in each
        # of two batches are in the vocabulary
        assert len(streamed.vocabulary_) > 0


@pytest.mark.parametrize("name", NAMES)
def test_predictions_of_a_dataset_are_those_of_its_arrays(small_digits, name):
    est, args = _cases(small_digits)[name]
    est = est.set_params(early_stopping=False).fit(*args)
    X = args[0]
    methods = {
        "ae": ["transform"],
        "detector": ["score_samples", "decision_function", "predict"],
        "regressor": ["predict"],
    }.get(name, ["predict", "predict_proba"])
    for method in methods:
        expected = getattr(est, method)(X)
        # batches may hold targets too: they are ignored
        got = getattr(est, method)(Batches(_cut(50, *args)))
        if name == "tagger":
            assert len(got) == len(expected)
            for a, b in zip(got, expected):
                if method == "predict":
                    assert list(a) == list(b)
                else:
                    np.testing.assert_allclose(a, b, atol=1e-5)
        elif np.asarray(expected).dtype.kind == "f":
            np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=method)
        else:
            np.testing.assert_array_equal(got, expected, err_msg=method)


def test_classes_and_balanced_weights_come_from_every_batch(small_digits):
    from skneural._streaming import BatchStream, gather

    X, y = small_digits
    order = np.argsort(y, kind="stable")  # batches of one class each
    X, y = X[order][:220], y[order][:220]
    params = {**FAST_CNN, "epochs": 1, "early_stopping": False}
    streamed = CNNClassifier(class_weight="balanced", **params)
    streamed.fit(Batches(_cut(50, X, y)))
    assert streamed.classes_.tolist() == sorted(set(y.tolist()))
    # "balanced" counts the classes of the whole data: a batch of one class
    # alone would weigh 1
    counts = np.bincount(y)
    expected = counts.sum() / (len(counts) * counts)
    assert not np.allclose(expected, 1.0)
    est = CNNClassifier(class_weight="balanced", **params)
    stream = BatchStream(est, Batches(_cut(50, X, y)))
    gather(est, stream)
    for i in range(len(stream)):
        _, y_b, w_b = stream.prepared(i)
        np.testing.assert_allclose(w_b, expected[y_b], rtol=1e-6)


def test_validation_dataset_early_stops(small_digits):
    X, y = small_digits
    est = AutoencoderTransformer(
        hidden_layer_sizes=(16,), n_components=4, epochs=6, n_iter_no_change=10
    )
    est.set_params(random_state=0)
    val = Batches(_cut(40, X[300:]))
    est.fit(Batches(_cut(64, X[:300])), validation_data=val)
    losses = est.history_["val_loss"]
    assert len(losses) == 6 and np.isfinite(losses).all()
    assert losses[est.best_epoch_] <= min(losses) + est.tol
    # validation passes do not end the validation dataset's epochs
    assert val.epochs_ended == 0
    # arrays as validation data beside a dataset work too
    est.fit(Batches(_cut(64, X[:300])), validation_data=X[300:])
    assert len(est.history_["val_loss"]) == 6


def test_dataset_without_validation_data_warns_and_runs_every_epoch(small_digits):
    X, y = small_digits
    est = CNNClassifier(**{**FAST_CNN, "epochs": 3})
    with pytest.warns(UserWarning, match="Pass validation_data to early-stop"):
        est.fit(Batches(_cut(64, X, y)))
    assert est.n_iter_ == 3 and est.best_epoch_ is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.set_params(early_stopping=False).fit(Batches(_cut(64, X, y)))


def test_bad_datasets_get_errors_that_name_the_batch(small_digits):
    X, y = small_digits
    X32 = X.astype(np.float32)
    cnn = CNNClassifier(**{**FAST_CNN, "epochs": 1, "early_stopping": False})
    with pytest.raises(ValueError, match="expected y=None. Received: y of type"):
        cnn.fit(Batches(_cut(100, X, y)), y)
    with pytest.raises(ValueError, match="Batch 2 of X: X has 63 features"):
        cnn.fit(Batches(_cut(100, X, y)[:2] + [(X[:10, :63], y[:10])]))
    with pytest.raises(ValueError, match="Batch 1 of X changes the dtype"):
        cnn.fit(Batches([(X[:100], y[:100]), (X32[100:200], y[100:200])]))
    with pytest.raises(ValueError, match="needs \\(X_batch, y_batch\\)"):
        cnn.fit(Batches(_cut(100, X)))
    ae = AutoencoderTransformer(n_components=2, epochs=1, early_stopping=False)
    with pytest.raises(ValueError, match="learns from X alone"):
        ae.fit(Batches(_cut(100, X, y)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        ae.fit(Batches([X[:1]]))
    # a failed fit leaves nothing behind
    assert not hasattr(cnn, "classes_") and not hasattr(ae, "mean_")


def test_the_fit_holds_one_batch_at_a_time():
    """80 batches of 1 MB (float32) train with under 20 MB of NumPy memory.

    A batch costs a few MB of float64 temporaries (its statistics, its
    targets); the data whole would be 80 MB.
    """

    class Generated(keras.utils.PyDataset):
        def __len__(self):
            return 80

        def __getitem__(self, i):
            # made on request, as from disk: never all in memory
            return np.random.RandomState(i).rand(512, 512).astype(np.float32)

    est = AutoencoderTransformer(
        hidden_layer_sizes=(8,),
        n_components=2,
        epochs=1,
        early_stopping=False,
        pca_init=False,
        random_state=0,
    )
    est.fit(Generated())  # traces once: what remains is the data's cost
    tracemalloc.start()
    try:
        est.fit(Generated())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MB"
    # the statistics are those of all 80 batches
    full_mean = np.mean(
        [np.random.RandomState(i).rand(512, 512).mean(0) for i in range(80)], axis=0
    )
    np.testing.assert_allclose(est.mean_, full_mean, rtol=1e-5)


def test_partial_fit_takes_a_dataset(small_digits):
    X, y = small_digits
    params = {**FAST_CNN, "epochs": 1}
    # batch 0 holds two of the four classes: partial_fit's classes names all
    order = np.argsort(y, kind="stable")
    dataset = Batches(_cut(100, X[order], y[order]))
    est = CNNClassifier(**params)
    est.partial_fit(dataset, classes=[0, 1, 2, 3])
    assert est.classes_.tolist() == [0, 1, 2, 3] and est.n_iter_ == 1
    first = est.score(X, y)
    for _ in range(6):
        est.partial_fit(dataset)
    assert est.n_iter_ == 7 and dataset.epochs_ended == 7
    assert est.score(X, y) > first
    # the statistics stay those of the first call's gathering pass
    np.testing.assert_allclose(est.mean_, X.mean(), rtol=1e-9)


def test_the_guide_section_runs():
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs/user_guide/large_data.rst"
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted >= 10 and result.failed == 0
