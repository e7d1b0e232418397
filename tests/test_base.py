"""The shared base: training loop, seeding, persistence, sklearn integration.

Exercised through CNNClassifier, the first estimator on the base.
"""

import io
import pickle
import random
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import FAST_CNN
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skneural import CNNClassifier


def test_import_does_not_import_tensorflow_or_keras():
    code = (
        "import sys, skneural; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'jax', 'torch') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_init_stores_params_unchanged():
    cbs = []
    est = CNNClassifier(filters=[4, 8], dropout=5.0, callbacks=cbs)
    # invalid values are only rejected in fit, and nothing is converted
    assert est.filters == [4, 8]
    assert est.dropout == 5.0
    assert est.callbacks is cbs


def test_early_stopping_stops_and_restores_best_weights(small_digits):
    X, y = small_digits

    import keras

    class Snapshots(keras.callbacks.Callback):
        # class-level store: the estimator deep-copies callbacks per fit
        weights = []

        def on_epoch_end(self, epoch, logs=None):
            Snapshots.weights.append(self.model.get_weights())

    params = {**FAST_CNN, "epochs": 300, "n_iter_no_change": 3, "tol": 0.0}
    est = CNNClassifier(callbacks=[Snapshots()], **params).fit(X, y)

    assert est.n_iter_ < 300
    val_loss = est.history_["val_loss"]
    assert len(val_loss) == est.n_iter_ == len(est.loss_curve_)
    assert est.best_epoch_ == int(np.argmin(val_loss))
    # stopped exactly `patience` epochs after the best one
    assert est.n_iter_ == est.best_epoch_ + 1 + 3
    kept = Snapshots.weights[est.best_epoch_]
    final = est.model_.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(kept, final))
    last = Snapshots.weights[-1]
    assert not all(np.array_equal(a, b) for a, b in zip(last, final))
    assert est.validation_scores_ == est.history_["val_accuracy"]
    assert est.best_validation_score_ == est.validation_scores_[est.best_epoch_]


def test_no_early_stopping_runs_all_epochs_on_all_data(small_digits):
    X, y = small_digits
    est = CNNClassifier(**{**FAST_CNN, "epochs": 4}, early_stopping=False).fit(X, y)
    assert est.n_iter_ == 4
    assert "val_loss" not in est.history_
    assert est.validation_scores_ is None and est.best_epoch_ is None


def test_small_fits_do_not_early_stop_on_fewer_than_20_rows(small_digits):
    X, y = small_digits
    X, y = X[:150], y[:150]
    params = {**FAST_CNN, "epochs": 3}
    # 10% of 150 is 15 held-out rows: too few, so all epochs on all rows
    small = CNNClassifier(**params).fit(X, y)
    assert small.n_iter_ == 3 and "val_loss" not in small.history_
    assert small.best_epoch_ is None and small.validation_scores_ is None
    same = CNNClassifier(**params, early_stopping=False).fit(X, y)
    assert np.array_equal(small.predict_proba(X), same.predict_proba(X))
    # 15% is 23 rows: early stopping holds them out
    held = CNNClassifier(**params, validation_fraction=0.15).fit(X, y)
    assert len(held.history_["val_loss"]) == held.n_iter_
    assert held.best_epoch_ is not None


def test_validation_split_is_stratified_and_shuffled():
    # sorted by class, as in many benchmark sets: a positional split would
    # validate on the last class only
    y = np.repeat([0, 1, 2], 20)
    est = CNNClassifier(validation_fraction=0.25)
    train_idx, val_idx = est._validation_split(y, len(y), np.random.RandomState(0))
    assert sorted(np.bincount(y[val_idx])) == [5, 5, 5]
    assert len(set(train_idx) | set(val_idx)) == len(y)


def test_same_seed_same_predictions_in_one_process(small_digits, fitted_cnn):
    X, y = small_digits
    again = CNNClassifier(**FAST_CNN).fit(X, y)
    assert np.array_equal(fitted_cnn.predict_proba(X), again.predict_proba(X))
    other = CNNClassifier(**{**FAST_CNN, "random_state": 1}).fit(X, y)
    assert not np.array_equal(fitted_cnn.predict_proba(X), other.predict_proba(X))


def test_fit_leaves_global_random_state_untouched(small_digits):
    import tensorflow as tf

    X, y = small_digits
    random.seed(123)
    np.random.seed(123)
    tf.random.set_seed(123)
    expected = (random.random(), np.random.rand(), tf.random.uniform([3]).numpy())

    random.seed(123)
    np.random.seed(123)
    tf.random.set_seed(123)
    CNNClassifier(**{**FAST_CNN, "epochs": 2}).fit(X, y)
    CNNClassifier(**{**FAST_CNN, "epochs": 2, "random_state": None}).fit(X, y)
    got = (random.random(), np.random.rand(), tf.random.uniform([3]).numpy())

    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert np.array_equal(got[2], expected[2])


def test_fit_does_not_modify_inputs(small_digits):
    X, y = small_digits
    X_before, y_before = X.copy(), y.copy()
    w = np.ones(len(y))
    CNNClassifier(**{**FAST_CNN, "epochs": 1}).fit(X, y, sample_weight=w)
    assert np.array_equal(X, X_before) and np.array_equal(y, y_before)
    assert np.array_equal(w, np.ones(len(y)))


def test_class_weight_equals_matching_sample_weight(small_digits):
    X, y = small_digits
    params = {**FAST_CNN, "epochs": 3}
    by_class = CNNClassifier(class_weight={0: 3.0, 2: 0.5}, **params).fit(X, y)
    w = np.select([y == 0, y == 2], [3.0, 0.5], 1.0)
    by_sample = CNNClassifier(**params).fit(X, y, sample_weight=w)
    assert np.allclose(by_class.predict_proba(X), by_sample.predict_proba(X))
    plain = CNNClassifier(**params).fit(X, y)
    assert not np.allclose(plain.predict_proba(X), by_class.predict_proba(X))


def test_balanced_class_weight_helps_the_minority_class(small_digits):
    X, y = small_digits
    # class 1 down to 12 samples against ~100 of class 0
    keep = np.flatnonzero(y == 0)
    keep = np.concatenate([keep, np.flatnonzero(y == 1)[:12]])
    Xi, yi = X[keep], y[keep]
    params = {**FAST_CNN, "epochs": 3, "early_stopping": False}
    plain = CNNClassifier(**params).fit(Xi, yi)
    balanced = CNNClassifier(class_weight="balanced", **params).fit(Xi, yi)
    minority = yi == 1
    p_plain = plain.predict_proba(Xi[minority])[:, 1].mean()
    p_bal = balanced.predict_proba(Xi[minority])[:, 1].mean()
    assert p_bal > p_plain


def test_sample_weight_of_ones_equals_no_weight(small_digits, fitted_cnn):
    X, y = small_digits
    ones = CNNClassifier(**FAST_CNN).fit(X, y, sample_weight=np.ones(len(y)))
    assert np.allclose(ones.predict_proba(X), fitted_cnn.predict_proba(X), atol=1e-6)


def test_warm_start_continues_training(small_digits):
    X, y = small_digits
    params = {**FAST_CNN, "epochs": 2, "early_stopping": False}
    est = CNNClassifier(warm_start=True, **params).fit(X, y)
    model, loss = est.model_, est.loss_curve_[-1]
    est.fit(X, y)
    assert est.model_ is model
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 4
    assert est.loss_curve_[-1] < loss
    # without warm_start, a new network is trained from scratch
    cold = CNNClassifier(**params).fit(X, y)
    first = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not first and cold.n_iter_ == 2


def test_partial_fit_trains_one_epoch_per_call(small_digits):
    X, y = small_digits
    est = CNNClassifier(**FAST_CNN)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    est.partial_fit(X[:50], y[:50], classes=[0, 1, 2, 3])
    assert est.n_iter_ == 1
    first = est.score(X, y)
    for _ in range(5):
        est.partial_fit(X, y)
    assert est.n_iter_ == 6
    assert est.score(X, y) > first
    assert est.best_epoch_ is None
    with pytest.raises(ValueError, match="not seen in the first fit"):
        est.partial_fit(X[:5], np.full(5, 7))


def test_callbacks_are_called_and_not_shared_between_clones(small_digits):
    import keras

    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1

    X, y = small_digits
    cb = Count()
    est = CNNClassifier(callbacks=[cb], **{**FAST_CNN, "epochs": 3})
    twin = clone(est)
    assert twin.callbacks[0] is not cb
    est.fit(X, y)
    assert Count.epochs == 3
    assert est.callbacks[0] is cb  # the parameter is left as given


def test_verbose_shows_keras_progress(small_digits, capsys):
    X, y = small_digits
    CNNClassifier(verbose=1, **{**FAST_CNN, "epochs": 2}).fit(X, y)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "val_loss" in out
    CNNClassifier(verbose=0, **{**FAST_CNN, "epochs": 1}).fit(X, y)
    assert "Epoch" not in capsys.readouterr().out


def test_verbose_says_how_early_stopping_ended_the_fit(small_digits, capsys):
    X, y = small_digits
    # no epoch improves the validation loss by tol=10: after the first (the
    # best, by definition) come n_iter_no_change=2 epochs, then the stop
    params = {**FAST_CNN, "epochs": 10, "n_iter_no_change": 2, "tol": 10.0}
    est = CNNClassifier(verbose=1, **params).fit(X, y)
    out = capsys.readouterr().out
    assert est.n_iter_ == 3 and est.best_epoch_ == 0
    assert (
        "CNNClassifier: early stopping ended the fit after epoch 3 of 10: the "
        "validation loss had not improved by tol=10 for 2 epochs; kept the "
        "weights of epoch 1, the best on the held-out data (val_loss "
    ) in out
    est = CNNClassifier(verbose=1, **{**params, "epochs": 2}).fit(X, y)
    assert "all 2 epochs ran; kept the weights of epoch 1" in capsys.readouterr().out
    CNNClassifier(verbose=0, **params).fit(X, y)
    assert "early stopping" not in capsys.readouterr().out


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_round_trip_fitted_and_unfitted(small_digits, fitted_cnn, dump):
    X, _ = small_digits

    def round_trip(obj):
        if dump == "pickle":
            return pickle.loads(pickle.dumps(obj))
        buf = io.BytesIO()
        joblib.dump(obj, buf)
        buf.seek(0)
        return joblib.load(buf)

    restored = round_trip(fitted_cnn)
    assert np.array_equal(restored.predict_proba(X), fitted_cnn.predict_proba(X))
    assert restored.get_params() == fitted_cnn.get_params()
    assert restored.n_iter_ == fitted_cnn.n_iter_
    unfitted = round_trip(CNNClassifier(filters=(4,)))
    assert unfitted.filters == (4,) and not hasattr(unfitted, "model_")


def test_unpickled_estimator_can_keep_training(small_digits, fitted_cnn):
    X, y = small_digits
    restored = pickle.loads(pickle.dumps(fitted_cnn))
    restored.set_params(warm_start=True, epochs=2, early_stopping=False)
    restored.fit(X, y)
    assert restored.n_iter_ == fitted_cnn.n_iter_ + 2


def test_small_and_large_predictions_agree(small_digits, fitted_cnn):
    from skneural import _batching

    X, _ = small_digits
    rng = np.random.RandomState(0)
    n = _batching.PREDICT_CHUNK + 300  # more than one chunk of distinct rows
    big = X[rng.randint(len(X), size=n)] + rng.uniform(0, 0.01, size=(n, 64))
    batched = fitted_cnn.predict_proba(big)
    one_by_one = np.vstack([fitted_cnn.predict_proba(big[i : i + 1]) for i in range(5)])
    # float32 sums differ with the batch at the 1e-7 level, hence the tolerance
    assert np.allclose(batched[:5], one_by_one, atol=1e-6)
    assert np.allclose(batched[-300:], fitted_cnn.predict_proba(big[-300:]), atol=1e-6)
    # and the same numbers as Keras's own model.predict
    keras_out = fitted_cnn.model_.predict(big[:10].reshape(-1, 8, 8, 1), verbose=0)
    assert np.allclose(batched[:10], keras_out, atol=1e-6)


def test_predictions_do_not_depend_on_row_order(small_digits, fitted_cnn):
    # float32 kernels sum in an order that depends on a row's place in the
    # batch (on AVX2 CPUs shuffled rows moved by 1 ulp): the base predicts
    # distinct rows in a canonical order, so results are exactly equal.
    from skneural import AutoencoderTransformer

    X, _ = small_digits
    rng = np.random.RandomState(1)
    ae = AutoencoderTransformer(n_components=3, epochs=2, random_state=0).fit(X)
    for n in (20, 33, 200):
        rows = X[:n]
        perm = rng.permutation(n)
        for predict in (fitted_cnn.predict_proba, ae.transform):
            np.testing.assert_array_equal(predict(rows)[perm], predict(rows[perm]))
    # identical rows get identical outputs, wherever they sit
    dup = np.vstack([X[:7], X[3:4], X[10:30], X[3:4]])
    proba = fitted_cnn.predict_proba(dup)
    np.testing.assert_array_equal(proba[3], proba[7])
    np.testing.assert_array_equal(proba[3], proba[-1])


def test_pipeline_grid_search(small_digits):
    X, y = small_digits
    cnn = CNNClassifier(**{**FAST_CNN, "epochs": 8, "batch_size": 16})
    pipe = Pipeline([("cnn", cnn)])
    grid = {"cnn__filters": [(4,), (8,)]}
    # in joblib's worker processes (fresh interpreters): a seeded fit is the
    # same there as here, to the last bit of every fold's log loss
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2, scoring="neg_log_loss")
    search.fit(X, y)
    serial = GridSearchCV(pipe, grid, cv=2, scoring="neg_log_loss", refit=False)
    serial.fit(X, y)
    for key in ("split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(search.cv_results_[key], serial.cv_results_[key])
    assert search.best_params_["cnn__filters"] in [(4,), (8,)]
    assert search.best_score_ > -0.5  # log loss; chance (4 classes) is -1.39
    assert (search.predict(X) == y).mean() > 0.8


def test_dataframe_input_records_feature_names(small_digits):
    X, y = small_digits
    cols = [f"px{i}" for i in range(64)]
    df = pd.DataFrame(X, columns=cols)
    est = CNNClassifier(**{**FAST_CNN, "epochs": 2}).fit(df, pd.Series(y))
    assert list(est.feature_names_in_) == cols
    assert est.n_features_in_ == 64
    assert np.array_equal(est.predict(df), est.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"px0": "other"}))


def test_unfitted_predict_raises(small_digits):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CNNClassifier().predict(small_digits[0])


def test_optimizer_instances_are_copied_per_fit(small_digits):
    import keras

    X, y = small_digits
    opt = keras.optimizers.SGD(learning_rate=0.05)
    est = CNNClassifier(optimizer=opt, **{**FAST_CNN, "epochs": 1}).fit(X, y)
    assert est.model_.optimizer is not opt
    assert float(est.model_.optimizer.learning_rate) == pytest.approx(0.05)
    est2 = CNNClassifier(optimizer="sgd", learning_rate=0.2, **FAST_CNN)
    est2.set_params(epochs=1).fit(X, y)
    assert float(est2.model_.optimizer.learning_rate) == pytest.approx(0.2)
    # learning_rate=None: the CNN's own step with Adam, the default of any
    # other optimizer named
    est2.set_params(learning_rate=None).fit(X, y)
    assert float(est2.model_.optimizer.learning_rate) == pytest.approx(0.01)
    est2.set_params(optimizer="adam").fit(X, y)
    assert float(est2.model_.optimizer.learning_rate) == pytest.approx(0.002)


@pytest.mark.parametrize("name", ["CNNClassifier", "AutoencoderAnomalyDetector"])
def test_html_repr_links_to_the_api_page(name):
    import skneural

    est = getattr(skneural, name)()
    url = f"https://skneural.readthedocs.io/en/stable/generated/skneural.{name}.html"
    assert est._get_doc_link() == url
    assert f'href="{url}"' in est._repr_html_()
    # inside a Pipeline the step links to its own page, the Pipeline to sklearn's
    assert f'href="{url}"' in Pipeline([("step", est)])._repr_html_()
