"""Reliability: divergence, bad input refused up front, interrupted fits,
and sequences padded per batch. Small, fast fits throughout."""

import threading

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from skneural import (
    AutoencoderAnomalyDetector,
    AutoencoderTransformer,
    BiLSTMTagger,
    CNNClassifier,
    LSTMSequenceClassifier,
    _backend,
)
from skneural.datasets import make_lookahead_tagging


def _digits(n=220):
    X, y = load_digits(return_X_y=True)
    return X[:n], y[:n]


def _sequences(n=220, seed=0):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(rng.randint(4, 12), 2)) for _ in range(n)]
    return X, np.array([int(s[0, 0] > 0) for s in X])


SMALL = {
    "cnn": (
        lambda **kw: CNNClassifier(
            image_shape=(8, 8), filters=(4,), dense_units=(8,), random_state=0, **kw
        ),
        _digits,
    ),
    "autoencoder": (
        lambda **kw: AutoencoderTransformer(
            n_components=2, hidden_layer_sizes=(16,), random_state=0, **kw
        ),
        lambda: (_digits()[0], None),
    ),
    "detector": (
        lambda **kw: AutoencoderAnomalyDetector(
            hidden_layer_sizes=(16,), random_state=0, **kw
        ),
        lambda: (_digits()[0], None),
    ),
    "lstm": (
        lambda **kw: LSTMSequenceClassifier(units=4, random_state=0, **kw),
        _sequences,
    ),
    "tagger": (
        lambda **kw: BiLSTMTagger(
            units=4, embedding_dim=4, char_filters=4, random_state=0, **kw
        ),
        lambda: make_lookahead_tagging(120, random_state=0),
    ),
}


def _outputs(est, X):
    for method in ("predict_proba", "score_samples", "transform"):
        if hasattr(est, method):
            out = getattr(est, method)(X)
            return np.concatenate(out) if isinstance(out, list) else out


# ----------------------------------------------------------------- divergence


@pytest.mark.parametrize("case", SMALL)
def test_divergence_in_the_first_epoch_raises_and_leaves_it_unfitted(case):
    make, data = SMALL[case]
    X, y = data()
    est = make(learning_rate=1e12, optimizer="sgd", epochs=3)
    with pytest.raises(
        ValueError, match=r"diverged.*lower learning_rate \(now 1e\+12\)"
    ):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


class _BlowUpAfter(keras.callbacks.Callback):
    """Sets a huge learning rate at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.optimizer.learning_rate.assign(1e12)


@pytest.mark.parametrize("case", SMALL)
def test_divergence_later_stops_and_keeps_the_last_finite_epoch(case):
    make, data = SMALL[case]
    X, y = data()
    base = dict(optimizer="sgd", epochs=6, early_stopping=False)
    reference = make(**{**base, "epochs": 2}).fit(X, y)
    est = make(**base, callbacks=[_BlowUpAfter(1)])
    with pytest.warns(ConvergenceWarning, match="diverged.*in epoch 3.*epoch before"):
        est.fit(X, y)
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 2
    assert np.isfinite(est.loss_curve_).all()
    out = _outputs(est, X)
    assert np.isfinite(out).all()
    # the weights are those of epoch 2, as a fit of 2 epochs leaves them
    np.testing.assert_allclose(out, _outputs(reference, X), rtol=1e-5, atol=1e-6)


def test_values_near_1e30_train_like_the_same_values_rescaled():
    X, y = _digits()
    X = X + np.random.RandomState(0).uniform(0, 1, size=X.shape)
    small = CNNClassifier(image_shape=(8, 8), epochs=5, random_state=0).fit(X, y)
    huge = CNNClassifier(image_shape=(8, 8), epochs=5, random_state=0).fit(X * 1e30, y)
    # float32 standardisation of values near 1e30 matches that of the same
    # values rescaled to the rounding level (before: one output for every
    # row). The standardised inputs differ at float32 rounding (1e-7), and 5
    # epochs of training grow that to a few 1e-3 on a few outputs.
    np.testing.assert_allclose(
        huge.predict_proba(X * 1e30), small.predict_proba(X), atol=1e-2
    )
    assert (huge.predict(X * 1e30) == small.predict(X)).mean() > 0.99
    ae_small = AutoencoderTransformer(n_components=3, epochs=5, random_state=0).fit(X)
    ae_huge = AutoencoderTransformer(n_components=3, epochs=5, random_state=0)
    ae_huge.fit(X * 1e30)
    np.testing.assert_allclose(
        ae_huge.transform(X * 1e30), ae_small.transform(X), rtol=1e-3, atol=1e-2
    )


def test_values_beyond_float32_are_refused():
    X, y = _digits(40)
    with pytest.raises(ValueError, match="too large for dtype\\('float32'\\)"):
        CNNClassifier(image_shape=(8, 8), epochs=1).fit(X * 1e39, y)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("case", SMALL)
def test_negative_sample_weight_is_refused(case):
    make, data = SMALL[case]
    X, y = data()
    w = np.ones(len(X))
    w[3] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        make(epochs=1).fit(X, y, sample_weight=w)


@pytest.mark.parametrize("crf", [False, True])
def test_tagger_sample_weight_weighs_sentences(crf):
    # Half the training sentences carry wrong tags (shifted by one class);
    # weighted 0 they are ignored, weighted 1 they spoil the tagger.
    # 200 sentences, 15 epochs, seeds 0-2: weighted 0.88-0.93 token accuracy,
    # unweighted 0.45-0.49 (both outputs). The task reads the next word, not
    # its spelling: no character features (a smaller network to trace)
    X, y = make_lookahead_tagging(200, random_state=0)
    X_test, y_test = make_lookahead_tagging(100, random_state=1)
    tags = sorted({t for s in y for t in s})
    shift = {t: tags[(i + 1) % len(tags)] for i, t in enumerate(tags)}
    noisy = [[shift[t] for t in s] if i % 2 else s for i, s in enumerate(y)]
    w = np.where(np.arange(len(y)) % 2, 0.0, 1.0)
    kw = dict(
        units=16,
        crf=crf,
        char_features=False,
        epochs=15,
        early_stopping=False,
        random_state=0,
    )
    weighted = BiLSTMTagger(**kw).fit(X, noisy, sample_weight=w)
    # (weights of 1 are no weights; given, the fit reuses the traced step)
    unweighted = BiLSTMTagger(**kw).fit(X, noisy, sample_weight=np.ones(len(y)))
    assert weighted.score(X_test, y_test) > 0.7
    assert weighted.score(X_test, y_test) > unweighted.score(X_test, y_test) + 0.2


def test_labels_mixing_strings_and_numbers_are_refused():
    X, y = _digits(40)
    mixed = np.array(["a", 1] * 20, dtype=object)
    with pytest.raises(ValueError, match=r"mixes string labels.*\['int', 'str'\]"):
        CNNClassifier(image_shape=(8, 8), epochs=1).fit(X, mixed)


class _StopOnEvent(keras.callbacks.Callback):
    """Stops training when another thread sets ``event``."""

    def __init__(self, event):
        super().__init__()
        self.event = event

    def on_epoch_end(self, epoch, logs=None):
        if self.event.is_set():
            self.model.stop_training = True


def test_callback_holding_an_event_is_copied_except_the_event():
    X, y = _digits(100)
    event = threading.Event()
    event.set()
    est = CNNClassifier(
        image_shape=(8, 8), epochs=10, callbacks=[_StopOnEvent(event)], random_state=0
    )
    with pytest.warns(UserWarning, match=r"callbacks\[0\] \(_StopOnEvent\).*event"):
        est.fit(X, y)
    # the copy shares the user's event: training stopped after one epoch
    assert est.n_iter_ == 1
    assert est.callbacks[0].event is event


def test_tagger_refuses_nan_tags_and_unknown_class_weight_tags():
    X, y = make_lookahead_tagging(30, random_state=0)
    bad = [list(s) for s in y]
    bad[4][1] = float("nan")
    with pytest.raises(ValueError, match=r"NaN tags \(in sentence 4\)"):
        BiLSTMTagger(epochs=1).fit(X, bad)
    with pytest.raises(ValueError, match="class_weight has labels that are not in"):
        BiLSTMTagger(epochs=1, class_weight={"NOT-A-TAG": 2.0}).fit(X, y)


@pytest.mark.parametrize("X", [["the", "cat", "sat"], ["the cat", "a dog"]])
def test_tagger_says_it_wants_a_list_of_token_lists(X):
    with pytest.raises(TypeError, match="list of sentences, each a list of tokens"):
        BiLSTMTagger(epochs=1).fit(X, [["D", "N", "V"]] * len(X))


@pytest.mark.parametrize("case", ["cnn", "autoencoder", "detector"])
def test_unknown_activation_is_refused_before_training(case):
    make, data = SMALL[case]
    X, y = data()
    started = []

    class Started(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            started.append(True)

    est = make(activation="relux", epochs=1, callbacks=[Started()])
    with pytest.raises(ValueError, match=r"Keras activation.*activation='relux'"):
        est.fit(X, y)
    assert started == []


def test_lstm_checks_dataframe_column_names():
    X, y = _sequences()
    frame = pd.DataFrame(
        np.array([s[:4, 0] for s in X]), columns=["t0", "t1", "t2", "t3"]
    )
    est = LSTMSequenceClassifier(units=4, epochs=1, random_state=0).fit(frame, y)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame[["t1", "t0", "t2", "t3"]])


# ------------------------------------------------------------ interrupted fit


class _InterruptAt(keras.callbacks.Callback):
    def __init__(self, epoch, batch=None):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (
            self.batch is not None
            and self.current == self.epoch
            and batch == self.batch
        ):
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs=None):
        if self.batch is None and epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("case", SMALL)
def test_interrupted_fit_keeps_the_complete_epochs(case):
    make, data = SMALL[case]
    X, y = data()
    est = make(epochs=10, early_stopping=False, callbacks=[_InterruptAt(2, batch=1)])
    with pytest.warns(UserWarning, match="interrupted by the user after 2 epoch"):
        est.fit(X, y)
    assert est.n_iter_ == 2 and len(est.loss_curve_) == 2
    out = _outputs(est, X)
    assert np.isfinite(out).all()
    reference = make(epochs=2, early_stopping=False).fit(X, y)
    np.testing.assert_allclose(out, _outputs(reference, X), rtol=1e-5, atol=1e-6)
    if case == "detector":
        assert set(est.predict(X)) <= {-1, 1}


@pytest.mark.parametrize("case", ["cnn", "detector"])
def test_interrupt_before_the_first_epoch_ends_leaves_it_unfitted(case):
    make, data = SMALL[case]
    X, y = data()
    est = make(epochs=10, callbacks=[_InterruptAt(0, batch=0)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


# ------------------------------------------------------- padding per batch


def test_sequences_are_padded_per_batch_and_bucketed(monkeypatch):
    # One 1,000-step sequence among 200 short ones: before, every batch was
    # padded to 1,000 steps.
    X, y = _sequences(200)
    rng = np.random.RandomState(1)
    X = [*X, rng.normal(size=(1000, 2))]
    y = np.append(y, 1)
    shapes = []
    make = _backend.batch_trainer

    def recording(model, *args, **kwargs):
        trainer = make(model, *args, **kwargs)
        train = trainer.train

        def train_and_record(x, y, w):
            shapes.append(x[0].shape[1])
            return train(x, y, w)

        trainer.train = train_and_record
        return trainer

    monkeypatch.setattr(_backend, "batch_trainer", recording)
    est = LSTMSequenceClassifier(units=4, epochs=3, batch_size=16, random_state=0)
    est.fit(X, y)
    per_epoch = len(shapes) // est.n_iter_
    assert per_epoch == -(-181 // 16)  # 201 rows less 20 held out
    long = [s for s in shapes if s > 16]
    # the long sequence pads one batch per epoch (if it was not held out),
    # every other batch is padded to at most 16 steps (11, rounded up to 2^k)
    assert len(long) <= est.n_iter_
    assert all(s == 1000 for s in long)  # 1,024 is cut to the padded length


def test_standardize_keeps_large_statistics_and_broadcasts_scalars():
    from skneural.architectures import build_autoencoder
    from skneural.architectures.layers import Standardize

    x = np.array([[1e30, -2e30], [3e30, 4e30]], dtype=np.float32)
    layer = Standardize(mean=x.mean(0), scale=x.std(0))
    expected = (x.astype(np.float64) - x.mean(0)) / x.std(0)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5)
    # the builders' scalar defaults (mean 0, variance 1) apply to every feature
    model = build_autoencoder(6, 2, seed=0)
    standardize = model.get_layer("encoder").get_layer("standardize")
    twos = np.full((2, 6), 2.0, dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(standardize(twos)), twos)
