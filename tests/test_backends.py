"""The estimators on the JAX and PyTorch Keras backends.

Keras picks its backend once per process, so each backend runs in a
subprocess with ``KERAS_BACKEND`` set. JAX is in the test extra, so CI
runs it; torch is checked where it is installed (the dev machines).
"""

import importlib.util

import pytest
from _scripts import run_script

# Two scripts, so that the two halves can run at once (a subprocess each).
HEADER = r"""
import json
import pickle
import warnings

import keras
import numpy as np
from sklearn.datasets import load_digits

from skneural import (
    AutoencoderAnomalyDetector, BiLSTMTagger, CNNClassifier,
    LSTMSequenceClassifier, _backend,
)
from skneural.datasets import make_lookahead_tagging

X, y = load_digits(return_X_y=True)
X_train, y_train, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]
# augment=0 but in one short fit: RandomTranslation is slow on JAX's CPU
# backend (with it the images part took 203 s here, most of the suite's JAX time)
kw = dict(image_shape=(8, 8), filters=(8,), dense_units=(32,), epochs=10,
          early_stopping=False, augment=0.0, random_state=0)
out = {}
"""

SCRIPTS = {
    "images": HEADER
    + r"""
a = CNNClassifier(**kw).fit(X_train, y_train)
b = CNNClassifier(**kw).fit(X_train, y_train)
out["trainer"] = type(
    _backend.batch_trainer(a.model_, X[:2].reshape(-1, 8, 8, 1), y[:2], None)
).__name__
out["reproducible"] = bool(np.array_equal(a.predict_proba(X), b.predict_proba(X)))
out["accuracy"] = a.score(X_test, y_test)
# Keras's public train_on_batch path must train the very same network
fast = _backend.batch_trainer
_backend.batch_trainer = lambda model, *args, **_: _backend._BatchTrainer(model)
c = CNNClassifier(**kw).fit(X_train, y_train)
_backend.batch_trainer = fast
out["loss_gap"] = float(np.max(np.abs(np.subtract(a.loss_curve_, c.loss_curve_))))
out["proba_gap"] = float(np.abs(a.predict_proba(X) - c.predict_proba(X)).max())
es = CNNClassifier(**{**kw, "epochs": 100, "early_stopping": True,
                      "n_iter_no_change": 2}).fit(X_train, y_train)
val_loss = es.history_["val_loss"]
above_min = val_loss[es.best_epoch_] - min(val_loss)
out["es"] = [es.n_iter_, es.best_epoch_, above_min, es.tol]
again = pickle.loads(pickle.dumps(es))
out["pickle_equal"] = bool(np.array_equal(again.predict_proba(X), es.predict_proba(X)))
shifted = CNNClassifier(**{**kw, "augment": 0.1, "epochs": 2}).fit(X_train, y_train)
out["augmented"] = shifted.loss_curve_
det = AutoencoderAnomalyDetector(epochs=5, random_state=0).fit(X_train)
out["detector_finite"] = bool(np.isfinite(det.score_samples(X_test)).all())


class InterruptMidEpoch(keras.callbacks.Callback):
    # Ctrl-C in the middle of the second epoch

    epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 3:
            raise KeyboardInterrupt


# an interrupted fit keeps the first epoch's weights, usable (JAX holds the
# variables apart from the model between batches)
stopped = CNNClassifier(**{**kw, "callbacks": [InterruptMidEpoch()]})
with warnings.catch_warnings(record=True):
    warnings.simplefilter("always")
    stopped.fit(X_train, y_train)
images = X_test.reshape(-1, 8, 8, 1).astype("float32")
proba = keras.ops.convert_to_numpy(stopped.model_(images))
out["interrupted_finite"] = bool(np.isfinite(proba).all()) and stopped.n_iter_ == 1
print("RESULT" + json.dumps(out))
""",
    "sequences": HEADER
    + r"""
rng = np.random.RandomState(0)
seqs = [rng.normal(size=(rng.randint(4, 13), 2)) for _ in range(300)]
labels = [int(s[0, 0] > 0) for s in seqs]
lstm = LSTMSequenceClassifier(epochs=40, batch_size=64, random_state=0)
out["lstm"] = lstm.fit(seqs[:200], labels[:200]).score(seqs[200:], labels[200:])
S, T = make_lookahead_tagging(300, random_state=0)
tagger = BiLSTMTagger(units=16, crf=True, epochs=30, batch_size=32, random_state=0)
out["tagger"] = tagger.fit(S[:200], T[:200]).score(S[200:], T[200:])
restored = pickle.loads(pickle.dumps(tagger))
out["tagger_pickle"] = restored.predict(S[200:]) == tagger.predict(S[200:])
print("RESULT" + json.dumps(out))
""",
}


def run_on(backend, part):
    return run_script(SCRIPTS[part], KERAS_BACKEND=backend)


BACKENDS = pytest.mark.parametrize(
    "backend, module, trainer",
    [("jax", "jax", "_JAXBatchTrainer"), ("torch", "torch", "_TorchBatchTrainer")],
)


def _skip_unless_installed(module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


# slow: 33-120 s each here (JAX compiles the conv branch and augmentation)
@pytest.mark.slow
@BACKENDS
def test_image_estimators_train_on_other_backends(backend, module, trainer):
    _skip_unless_installed(module)
    out = run_on(backend, "images")
    assert out["trainer"] == trainer
    assert out["reproducible"]
    # the fast step loop trains exactly what train_on_batch trains
    assert out["loss_gap"] < 1e-5 and out["proba_gap"] < 1e-5
    assert out["accuracy"] > 0.8
    n_iter, best, above_min, tol = out["es"]
    # the kept epoch is the one of least validation loss, up to tol (early
    # stopping counts only improvements by more than tol); it stopped two
    # epochs (n_iter_no_change) after it
    assert 0 <= above_min <= tol and n_iter == best + 1 + 2
    assert out["pickle_equal"]
    assert out["detector_finite"] and out["interrupted_finite"]
    # augmentation trains on this backend too: the loss falls
    first, second = out["augmented"]
    assert second < first


# slow: 33-120 s each here (JAX compiles the conv branch and augmentation)
@pytest.mark.slow
@BACKENDS
def test_sequence_estimators_train_on_other_backends(backend, module, trainer):
    _skip_unless_installed(module)
    out = run_on(backend, "sequences")
    assert out["lstm"] >= 0.8  # chance is 0.5
    assert out["tagger"] >= 0.9
    assert out["tagger_pickle"]
