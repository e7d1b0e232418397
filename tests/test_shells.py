"""Fits of the same architecture reuse one traced network (a shell).

The shell is an implementation detail: these tests check that reusing it
never shows. A fit on a reused shell gives exactly what a fit on a new one
gives, ``model_`` is the estimator's own (never the shell, never changed by
another fit), and a fit that fails leaves nothing behind for the next.
"""

import threading

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skneural import AutoencoderTransformer, BiLSTMTagger, CNNClassifier, _shells
from skneural.datasets import make_lookahead_tagging

CNN = dict(image_shape=(8, 8), filters=(4,), dense_units=(8,), epochs=3)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:240], y[:240]


def _fresh(make):
    """``make()`` with no shell to reuse."""
    _shells.clear()
    return make()


def test_a_reused_shell_trains_exactly_as_a_new_one(digits):
    X, y = digits
    fresh = _fresh(lambda: CNNClassifier(**CNN, random_state=0).fit(X, y))
    assert _shells.n_idle() == 1
    # another seed trains the shell in between
    other = CNNClassifier(**CNN, random_state=1).fit(X, y)
    again = CNNClassifier(**CNN, random_state=0).fit(X, y)
    assert _shells.n_idle() == 1  # one shell served all three
    np.testing.assert_array_equal(again.predict_proba(X), fresh.predict_proba(X))
    assert again.loss_curve_ == fresh.loss_curve_
    assert not np.array_equal(other.predict_proba(X), fresh.predict_proba(X))
    # model_ is the estimator's own, compiled, with its optimizer's state
    assert again.model_ is not fresh.model_
    assert int(again.model_.optimizer.iterations) == int(
        fresh.model_.optimizer.iterations
    )
    assert again.model_.optimizer.iterations.numpy() > 0


def test_a_later_fit_does_not_change_an_earlier_model(digits):
    X, y = digits
    first = CNNClassifier(**CNN, random_state=0).fit(X, y)
    before = [w.copy() for w in first.model_.get_weights()]
    CNNClassifier(**CNN, random_state=2).fit(X, y)
    after = first.model_.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_architectures_and_batch_layouts_get_their_own_shells(digits):
    X, y = digits
    _shells.clear()
    CNNClassifier(**CNN, random_state=0).fit(X, y)
    CNNClassifier(**{**CNN, "dense_units": (16,)}, random_state=0).fit(X, y)
    assert _shells.n_idle() == 2
    # sample weights are one more input of the train step
    CNNClassifier(**CNN, random_state=0).fit(X, y, sample_weight=np.ones(len(y)))
    assert _shells.n_idle() == 3


def _share_a_shell(digits, name, a, b, make=None):
    """Fits at ``name=a`` and ``name=b``, each once on a new shell and once
    on the other's: one shell serves both, and each trains at its own
    value. ``make(**params)`` is the estimator (a small CNN by default).
    Returns the fit at ``b`` made on ``a``'s shell."""
    X, y = digits
    if make is None:

        def make(**params):
            return CNNClassifier(**CNN, **params, random_state=0)

    def fit(value):
        return make(**{name: value}).fit(X, y)

    fresh_first = _fresh(lambda: fit(a))
    second_on_first = fit(b)
    assert _shells.n_idle() == 1  # one trace served both
    fresh_second = _fresh(lambda: fit(b))
    first_on_second = fit(a)
    assert second_on_first.loss_curve_ == fresh_second.loss_curve_
    assert first_on_second.loss_curve_ == fresh_first.loss_curve_
    assert first_on_second.loss_curve_ != fresh_second.loss_curve_
    return second_on_first


def _settings(model, suffix):
    """Values of the variables of ``model``'s layers named ``*/suffix``."""
    return [
        float(np.asarray(v.numpy()))
        for v in model.variables
        if v.path.endswith("/" + suffix)
    ]


def test_learning_rates_share_a_shell_and_each_fit_trains_at_its_own(digits):
    import keras

    # the rate lives in an optimizer variable
    slow_on_fast = _share_a_shell(digits, "learning_rate", 0.03, 0.001)
    assert float(slow_on_fast.model_.optimizer.learning_rate) == pytest.approx(0.001)
    # a schedule is computed inside the step: it gets a shell of its own
    schedule = keras.optimizers.schedules.ExponentialDecay(0.03, 10, 0.5)
    CNNClassifier(**CNN, optimizer=keras.optimizers.Adam(schedule), random_state=0).fit(
        *digits
    )
    assert _shells.n_idle() == 2


def test_dropout_rates_share_a_shell_and_each_fit_drops_at_its_own(digits):
    # the rate lives in a variable of each dropout layer
    high_on_low = _share_a_shell(digits, "dropout", 0.1, 0.5)
    # after the block and after the dense layer
    assert _settings(high_on_low.model_, "rate") == [0.5, 0.5]
    # no dropout builds no dropout layer: another network, another shell
    CNNClassifier(**CNN, dropout=0.0, random_state=0).fit(*digits)
    assert _shells.n_idle() == 2


def test_variable_dropout_drops_at_its_rate_in_training_only():
    from skneural.architectures.layers import VariableDropout

    x = np.ones((50, 400), "float32")
    layer = VariableDropout(0.3, seed=0)
    out = np.asarray(layer(x, training=True))
    dropped = np.mean(out == 0)
    assert 0.28 < dropped < 0.32  # 20,000 draws: about 6 standard errors
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    # a new rate loaded into the variable applies without rebuilding
    layer.rate_variable.assign(0.8)
    assert 0.78 < np.mean(np.asarray(layer(x, training=True)) == 0) < 0.82
    # same seed, same masks; the config rebuilds the layer
    again = VariableDropout.from_config(VariableDropout(0.3, seed=0).get_config())
    np.testing.assert_array_equal(np.asarray(again(x, training=True)), out)
    with pytest.raises(ValueError, match="rate=1"):
        VariableDropout(1.0)


@pytest.mark.parametrize(
    "noise_type, setting, a, b",
    [("gaussian", "stddev", 0.1, 0.5), ("mask", "rate", 0.1, 0.4)],
)
def test_noise_levels_share_a_shell_and_each_fit_corrupts_at_its_own(
    digits, noise_type, setting, a, b
):
    # an autoencoder's noise layer reads its level from a variable
    def make(**params):
        return AutoencoderTransformer(
            n_components=2,
            hidden_layer_sizes=(8,),
            noise_type=noise_type,
            epochs=3,
            random_state=0,
            **params,
        )

    strong_on_weak = _share_a_shell(digits, "noise", a, b, make)
    assert _settings(strong_on_weak.model_, setting) == [pytest.approx(b)]
    # no noise builds no noise layer: another network, another shell
    make(noise=0.0).fit(*digits)
    assert _shells.n_idle() == 2


def test_noise_layers_corrupt_as_their_fixed_rate_forms():
    import keras

    from skneural.architectures.layers import (
        MaskingNoise,
        VariableGaussianNoise,
        VariableMaskingNoise,
    )

    x = np.ones((50, 400), "float32")
    # the same masks as MaskingNoise (which older pickles keep) for a seed
    masked = np.asarray(VariableMaskingNoise(0.3, seed=1)(x, training=True))
    np.testing.assert_array_equal(
        masked, np.asarray(MaskingNoise(0.3, seed=1)(x, training=True))
    )
    assert 0.28 < np.mean(masked == 0) < 0.32  # 20,000 draws
    # Gaussian noise: Keras's draws, scaled by the variable's deviation
    # (the same values as GaussianNoise on TensorFlow; a float tolerance
    # for the other backends, whose normal may scale in another order)
    layer = VariableGaussianNoise(0.5, seed=2)
    noisy = np.asarray(layer(x, training=True))
    keras_noisy = np.asarray(keras.layers.GaussianNoise(0.5, seed=2)(x, training=True))
    np.testing.assert_allclose(noisy, keras_noisy, rtol=1e-6, atol=1e-6)
    assert 0.48 < np.std(noisy) < 0.52
    # a level loaded into the variable applies without rebuilding; none at
    # inference; any deviation >= 0 (Keras's own stops at 1)
    layer.stddev_variable.assign(2.0)
    assert 1.9 < np.std(np.asarray(layer(x, training=True))) < 2.1
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    again = VariableGaussianNoise.from_config(layer.get_config())
    assert again.stddev == 0.5 and again.seed == 2
    with pytest.raises(ValueError, match="stddev=-0.1"):
        VariableGaussianNoise(-0.1)
    with pytest.raises(ValueError, match="rate=1"):
        VariableMaskingNoise(1.0)


@pytest.mark.parametrize(
    "cell, name", [("lstm", "dropout"), ("gru", "recurrent_dropout")]
)
def test_recurrent_dropout_rates_share_a_shell_and_each_fit_drops_at_its_own(
    cell, name
):
    from skneural import LSTMSequenceClassifier

    # Keras's recurrent cells apply these rates inside the cell; skneural's
    # cells read them from variables
    X = np.random.default_rng(0).normal(size=(80, 6, 2))
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)

    def make(**params):
        return LSTMSequenceClassifier(
            units=(4,), cell=cell, epochs=2, random_state=0, **params
        )

    high_on_low = _share_a_shell((X, y), name, 0.1, 0.4, make)
    assert _settings(high_on_low.model_, name) == [pytest.approx(0.4)]
    # a zero rate builds no dropout into the steps: a shell of its own
    make(**{name: 0.0}).fit(X, y)
    assert _shells.n_idle() == 2


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_layers_draw_their_masks_at_the_variables_rates(kind):
    import keras

    from skneural.architectures import layers

    ours = getattr(layers, f"VariableDropout{kind}")
    settings = dict(dropout=0.3, recurrent_dropout=0.2, seed=3)
    layer = ours(8, **settings)
    layer.build((None, 5, 400))
    cell = layer.cell
    steps, states = np.ones((50, 400), "float32"), np.ones((50, 8), "float32")
    # one mask per gate (Keras's cells take a list with recurrent dropout)
    masks = [np.asarray(m) for m in cell.get_dropout_mask(steps)]
    assert len(masks) == {"LSTM": 4, "GRU": 3}[kind]
    for mask in masks:
        assert 0.28 < np.mean(mask == 0) < 0.32  # 20,000 draws
        np.testing.assert_allclose(mask[mask != 0], 1 / 0.7, rtol=1e-6)
    # cached until reset (a sequence's steps share them), as Keras's are
    assert cell.get_dropout_mask(steps) is cell.get_dropout_mask(steps)
    state_masks = np.asarray(cell.get_recurrent_dropout_mask(states))
    assert 0.17 < np.mean(state_masks == 0) < 0.23  # 400 x 8 x gates draws
    # a rate loaded into the variable applies without rebuilding
    cell.reset_dropout_mask()
    cell.dropout_variable.assign(0.6)
    assert 0.58 < np.mean(np.asarray(cell.get_dropout_mask(steps)[0]) == 0) < 0.62
    # the config rebuilds the layer, its cell with variable rates again
    again = ours.from_config(layer.get_config())
    assert again.dropout == 0.3 and again.cell.recurrent_dropout_variable is not None
    # stacked and both ways in one network: every variable's path is its own
    values = keras.Input((None, 3))
    hidden = keras.layers.Bidirectional(
        ours(4, return_sequences=True, name="first", **settings),
        backward_layer=ours(4, go_backwards=True, return_sequences=True, **settings),
    )(values)
    network = keras.Model(values, ours(4, name="second", **settings)(hidden))
    paths = [v.path for v in network.variables]
    assert len(set(paths)) == len(paths)
    assert "second/" + cell.name + "/dropout" in paths
    network.compile(optimizer="adam", loss="mse")
    assert len(network.get_state_tree()["non_trainable_variables"]) > 0
    # in a network: on TensorFlow exactly Keras's layer (same masks, same
    # outputs); the other backends draw Keras's masks another way
    x = np.random.default_rng(0).normal(size=(16, 7, 5)).astype("float32")
    init = dict(
        kernel_initializer=keras.initializers.GlorotUniform(1),
        recurrent_initializer=keras.initializers.Orthogonal(2),
    )
    mine = ours(8, **settings, **init)
    theirs = getattr(keras.layers, kind)(8, **settings, **init)
    # (in the same order: Keras draws the masks at inference too)
    trained = keras.ops.convert_to_numpy(mine(x, training=True))
    keras_trained = keras.ops.convert_to_numpy(theirs(x, training=True))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(mine(x)),
        keras.ops.convert_to_numpy(theirs(x)),
    )
    if keras.backend.backend() == "tensorflow":
        np.testing.assert_array_equal(trained, keras_trained)
    assert not np.allclose(trained, keras.ops.convert_to_numpy(mine(x)))


def test_a_failed_fit_leaves_the_shell_clean(digits):
    import keras

    X, y = digits

    class Diverge(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate.assign(1e12)

    fresh = _fresh(lambda: CNNClassifier(**CNN, random_state=0).fit(X, y))
    with pytest.raises(ValueError, match="diverged"):
        CNNClassifier(**CNN, random_state=0, callbacks=[Diverge()]).fit(X, y)
    again = CNNClassifier(**CNN, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), fresh.predict_proba(X))


def test_fits_of_one_architecture_at_once_in_threads(digits):
    X, y = digits
    serial = {s: CNNClassifier(**CNN, random_state=s).fit(X, y) for s in (0, 1)}
    results = {}

    def run(seed):
        results[seed] = CNNClassifier(**CNN, random_state=seed).fit(X, y)

    threads = [threading.Thread(target=run, args=(s,)) for s in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed in (0, 1):
        np.testing.assert_array_equal(
            results[seed].predict_proba(X), serial[seed].predict_proba(X)
        )


def test_crf_tagger_on_a_reused_shell():
    # the CRF loss reads the transition scores of the network it trains:
    # the shell's, not the estimator's
    X, y = make_lookahead_tagging(60, random_state=0)
    kw = dict(units=4, embedding_dim=4, char_filters=4, crf=True, epochs=3)
    fresh = _fresh(lambda: BiLSTMTagger(**kw, random_state=0).fit(X, y))
    BiLSTMTagger(**kw, random_state=1).fit(X, y)
    again = BiLSTMTagger(**kw, random_state=0).fit(X, y)
    assert again.loss_curve_ == fresh.loss_curve_
    for a, b in zip(again.predict_proba(X), fresh.predict_proba(X)):
        np.testing.assert_array_equal(a, b)


def test_held_out_batches_of_every_length_share_one_test_step():
    # Validation goes through the trainer's test step (not test_on_batch):
    # on TensorFlow, traced once for every batch size and sequence length,
    # and giving test_on_batch's loss and accuracy.
    from skneural import LSTMSequenceClassifier, _backend
    from skneural._batching import take

    rng = np.random.RandomState(0)
    X = [rng.normal(size=(t, 2)).astype(np.float32) for t in rng.randint(3, 40, 240)]
    y = np.array([int(s[0, 0] > 0) for s in X])
    est = LSTMSequenceClassifier(units=4, epochs=2, batch_size=16, random_state=0)
    est.fit(X, y)
    assert len(est.validation_scores_) == 2  # early stopping held out 24 rows

    model = est.model_
    X_net = est._prepare_X(X, reset=False)
    y_net = est._encode_labels(y)
    first = slice(0, 16)
    trainer = _backend.batch_trainer(
        model, take(X_net, first), y_net[first], None, dynamic_length=True
    )
    for rows, length in [(slice(0, 5), 8), (slice(5, 30), 16), (slice(30, 31), 64)]:
        x = tuple(a[rows, :length] for a in X_net)
        got = trainer.evaluate(x, y_net[rows], None)
        want = model.test_on_batch(x, y_net[rows], return_dict=True)
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-6)
    if _backend.import_keras().backend.backend() == "tensorflow":
        assert trainer._test_step.experimental_get_tracing_count() == 1


def test_fits_of_one_architecture_share_one_traced_prediction(digits):
    from skneural import _backend

    X, y = digits
    _shells.clear()
    a = CNNClassifier(**CNN, random_state=0).fit(X, y)
    proba_a = a.predict_proba(X)
    b = CNNClassifier(**CNN, random_state=1).fit(X, y)
    proba_b = b.predict_proba(X)
    wider = CNNClassifier(**{**CNN, "filters": (8,)}, random_state=0).fit(X, y)
    wider.predict_proba(X)
    # a and b predicted through one traced function (their weights are its
    # arguments); another architecture has its own
    assert len(_shells._inference) == 2
    assert not np.allclose(proba_a, proba_b)
    np.testing.assert_array_equal(a.predict_proba(X), proba_a)
    # each gives what its own network computes (a per-model trace, as for
    # networks that may not share one): the same operations, so equal up to
    # float32 rounding
    for est in (a, b):
        own = _backend._make_inference_function(est.model_)
        own_proba = own(est._prepare_X(X, reset=False))
        np.testing.assert_allclose(
            est.predict_proba(X), own_proba, rtol=1e-5, atol=1e-7
        )
