"""What a fit leaves in the process for good: nothing that grows per fit.

A search fits the same architecture over and over in one process. Two
things there grew with every fit until this was tested:

- TensorFlow keeps a kernel (about 35 KB) for every distinct variable name
  it has created. Keras numbers optimizers, seed generators and unnamed
  layers for the whole process (``adam_37``), so each fit's variables had
  new names: 1.6 MB per fit of the LSTM classifier. Fits now build and
  compile under :func:`skneural._backend.repeatable_names`.
- On JAX, running a recurrent network directly compiles its scan anew on
  every call, and JAX keeps every compilation (2.4 MB per call). The LSTM
  classifier's batch statistics are recomputed after every fit by such a
  pass; it now runs compiled, kept on the shell the fits share.

The same holds for what comes back from a worker (an unpickled model is
rebuilt under the same names) and for a network of one's own (its outputs
are checked before training through the inference function that every
network of its architecture shares, not by a direct call).

``benchmarks/bench_overhead.py --estimators-only`` measures the memory
itself; these tests check the fixes, which do not depend on timing or on
the allocator.
"""

import numpy as np
import pytest
from _scripts import run_script
from sklearn.datasets import load_digits

from skneural import (
    AutoencoderAnomalyDetector,
    AutoencoderTransformer,
    BiLSTMTagger,
    CNNClassifier,
    LSTMSequenceClassifier,
    _backend,
)
from skneural.datasets import make_lookahead_tagging


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:120], y[:120]


def _sequences():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(rng.randint(4, 12), 2)) for _ in range(60)]
    return X, [int(s[0, 0] > 0) for s in X]


# Small fits with each estimator's layers that draw random numbers (their
# seed generators are named by Keras) and the default optimizer.
CASES = {
    "cnn": (
        lambda s: CNNClassifier(
            image_shape=(8, 8), filters=(4,), dense_units=(8,), random_state=s
        ),
        _digits,
    ),
    "autoencoder": (
        lambda s: AutoencoderTransformer(
            n_components=2, hidden_layer_sizes=(8,), random_state=s
        ),
        lambda: (_digits()[0], None),
    ),
    "detector": (
        lambda s: AutoencoderAnomalyDetector(hidden_layer_sizes=(8,), random_state=s),
        lambda: (_digits()[0], None),
    ),
    "lstm": (
        lambda s: LSTMSequenceClassifier(
            units=4, conv_filters=(4,), conv_kernel_sizes=(3,), random_state=s
        ),
        _sequences,
    ),
    "tagger": (
        lambda s: BiLSTMTagger(units=4, random_state=s),
        lambda: make_lookahead_tagging(40, random_state=0),
    ),
}


def _names(model):
    """Every variable's full (scoped) name: layers', optimizer's, metrics'."""
    return [
        v.path
        for v in [
            *model.variables,
            *model.optimizer.variables,
            *model.metrics_variables,
        ]
    ]


@pytest.mark.parametrize("case", CASES)
def test_each_fit_names_its_variables_as_the_last_fit_did(case):
    make, data = CASES[case]
    X, y = data()
    small = dict(epochs=1, early_stopping=False)
    first = _names(make(0).set_params(**small).fit(X, y).model_)
    second = _names(make(1).set_params(**small).fit(X, y).model_)
    assert second == first
    # (the optimizer's are among them: Keras numbered it anew per fit)
    assert any("momentum" in name for name in first)


def test_unpickled_models_take_the_same_names():
    import pickle

    make, data = CASES["cnn"]  # its dropout layers' seed generators
    fitted = make(0).set_params(epochs=1).fit(*data())
    blob = pickle.dumps(fitted)
    first, second = (pickle.loads(blob).model_ for _ in range(2))
    assert [v.path for v in second.variables] == [v.path for v in first.variables]
    assert any("seed_generator" in v.path for v in first.variables)


def test_repeatable_names_neither_repeat_earlier_names_nor_each_other():
    import keras

    before = keras.layers.Dense(1).name
    with _backend.repeatable_names():
        first = [keras.layers.Dense(1).name for _ in range(2)]
    with _backend.repeatable_names():
        again = [keras.layers.Dense(1).name for _ in range(2)]
    assert again == first
    assert len({before, *first}) == 3


SCRIPT = r"""
import json
import numpy as np
from skneural import LSTMSequenceClassifier, _shells

rng = np.random.RandomState(0)
X = [rng.normal(size=(rng.randint(4, 12), 2)) for _ in range(60)]
y = [int(s[0, 0] > 0) for s in X]
kw = dict(units=4, conv_filters=(4,), conv_kernel_sizes=(3,), epochs=2,
          early_stopping=False)
fits = [LSTMSequenceClassifier(random_state=s, **kw).fit(X, y) for s in range(3)]
(shell,) = [s for shells in _shells._idle.values() for s in shells]
passes = shell.model.__dict__["_skneural_training_pass"]
traces = [passes.traces]
# a fold of fewer rows: one more shape, compiled once for both of its fits
for s in range(2):
    LSTMSequenceClassifier(random_state=s, **kw).fit(X[:50], y[:50])
traces.append(passes.traces)
# the statistics the pass left: the conv block's outputs over the real steps
import keras
est = fits[-1]
model = est.model_
probe = keras.Model(model.inputs, [model.get_layer("conv_0").output,
                                   model.get_layer("conv_frames").output[1]])
values, on = probe(list(est._prepare_X(X, reset=False)))
values = np.asarray(values, dtype=np.float64)[np.asarray(on)]
norm = model.get_layer("conv_norm_0")
out = {
    "traces": traces,
    "mean_gap": float(np.abs(np.asarray(norm.moving_mean) - values.mean(0)).max()),
    "var_gap": float(np.abs(np.asarray(norm.moving_variance) - values.var(0)).max()),
    "scale": float(values.var(0).max()),
}
print("RESULT" + json.dumps(out))
"""


def test_on_jax_the_statistics_pass_compiles_once_per_shape_not_per_fit():
    out = run_script(SCRIPT, KERAS_BACKEND="jax")
    # three fits on one shell, one chunk shape: traced (compiled) once; two
    # fits on fewer rows: once more
    assert out["traces"] == [1, 2]
    # and it leaves the training data's statistics (float32 sums)
    assert out["mean_gap"] < 1e-4 and out["var_gap"] < 1e-4 * max(1, out["scale"])


def test_a_network_of_one_s_own_is_checked_through_the_shared_inference():
    # the check of its outputs before training ran the network directly: on
    # JAX, an LSTM of one's own then grew 1.5 MB per fit (0.05 now)
    import keras

    from skneural import NeuralClassifier, _shells

    def build(n_outputs, input_shape):
        return keras.Sequential(
            [
                keras.Input(input_shape),
                keras.layers.LSTM(4),
                keras.layers.Dense(n_outputs, activation="softmax"),
            ]
        )

    X, y = _sequences()
    X = np.stack([s[:4] for s in X])
    _shells.clear()
    fits = [NeuralClassifier(build, epochs=1, random_state=s).fit(X, y) for s in (0, 1)]
    # both checked (before any predict) on the one function of their key
    assert all("_skneural_inference" in f.model_.__dict__ for f in fits)
    assert len(_shells._inference) == 1
