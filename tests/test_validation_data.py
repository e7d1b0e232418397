"""``fit(..., validation_data=...)``: the user's own held-out data.

Early stopping then watches the given data instead of a split of the
training data, every training row is trained on, and the parameter routes
through ``GridSearchCV`` like any fit parameter.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import FAST_CNN
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV

from skneural import (
    AutoencoderAnomalyDetector,
    AutoencoderTransformer,
    BiLSTMTagger,
    CNNClassifier,
    LSTMSequenceClassifier,
)
from skneural.datasets import make_lookahead_tagging


def _digits(small_digits):
    X, y = small_digits
    return (X[:300], y[:300]), (X[300:], y[300:])


def _sequences(n, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 10, 2)).astype(np.float32)
    return X, (X[:, 0, 0] > 0).astype(int)


def _cases(small_digits):
    """(estimator, training args, validation_data) for every estimator."""
    (X, y), (Xv, yv) = _digits(small_digits)
    (S, t), (Sv, tv) = _sequences(200, 0), _sequences(60, 1)
    W, T = make_lookahead_tagging(120, random_state=0)
    Wv, Tv = make_lookahead_tagging(40, random_state=1)
    ae = dict(hidden_layer_sizes=(16,), n_components=4, batch_size=64)
    return {
        "cnn": (CNNClassifier(**{**FAST_CNN, "epochs": 4}), (X, y), (Xv, yv)),
        "ae": (AutoencoderTransformer(**ae, epochs=4, random_state=0), (X,), Xv),
        "detector": (
            AutoencoderAnomalyDetector(**ae, epochs=4, random_state=0),
            (X,),
            Xv,
        ),
        "lstm": (
            LSTMSequenceClassifier(units=8, epochs=4, batch_size=64, random_state=0),
            (S, t),
            (Sv, tv),
        ),
        "tagger": (
            BiLSTMTagger(
                units=8, embedding_dim=8, char_filters=4, epochs=3, random_state=0
            ),
            (W, T),
            (Wv, Tv),
        ),
    }


@pytest.mark.parametrize("name", ["cnn", "ae", "detector", "lstm", "tagger"])
def test_validation_data_is_watched_and_all_rows_train(small_digits, name):
    est, args, val = _cases(small_digits)[name]
    # patience beyond the epochs: early stopping watches but never stops
    watched = est.set_params(early_stopping=True, n_iter_no_change=10)
    watched = watched.fit(*args, validation_data=val)
    assert len(watched.history_["val_loss"]) == watched.n_iter_ == est.epochs
    assert np.all(np.isfinite(watched.history_["val_loss"]))
    # the kept epoch is the one of least loss on the given data (up to tol:
    # early stopping counts only improvements by more than tol)
    val_loss = watched.history_["val_loss"]
    assert val_loss[watched.best_epoch_] <= min(val_loss) + watched.tol
    scores = watched.validation_scores_
    assert watched.best_validation_score_ == scores[watched.best_epoch_]
    # No internal split: the same training rows and shuffles as a fit
    # without early stopping, so the same training losses. Keras's recurrent
    # layers draw their dropout masks even in inference (RNN.call), so there
    # scoring the validation data moves the dropout stream of later epochs:
    # only the first epoch, before any scoring, compares.
    plain = est.__class__(**{**est.get_params(), "early_stopping": False})
    plain.fit(*args)
    compared = 1 if name in ("lstm", "tagger") else est.epochs
    np.testing.assert_allclose(
        watched.history_["loss"][:compared],
        plain.history_["loss"][:compared],
        rtol=1e-4,
    )
    assert "val_loss" not in plain.history_


def test_validation_loss_is_the_loss_on_the_given_data(small_digits):
    (X, y), (Xv, yv) = _digits(small_digits)
    clf = CNNClassifier(**{**FAST_CNN, "epochs": 3, "early_stopping": False})
    clf.fit(X, y, validation_data=(Xv, yv))
    # without early stopping the last epoch's weights are kept: its logged
    # validation loss is the log loss of the fitted estimator on Xv
    expected = log_loss(yv, clf.predict_proba(Xv), labels=clf.classes_)
    assert clf.history_["val_loss"][-1] == pytest.approx(expected, rel=1e-3)
    assert clf.best_epoch_ is None  # watched, not early-stopped
    assert len(clf.validation_scores_) == 3


def test_early_stopping_follows_the_given_data(small_digits):
    (X, y), (Xv, yv) = _digits(small_digits)
    params = {**FAST_CNN, "epochs": 40, "n_iter_no_change": 3}
    good = CNNClassifier(**params).fit(X, y, validation_data=(Xv, yv))
    # labels that disagree with the images: the better the network learns
    # the digits, the worse it does here, so the best epoch comes early
    wrong = (yv + 1) % 4
    bad = CNNClassifier(**params).fit(X, y, validation_data=(Xv, wrong))
    assert bad.best_epoch_ < good.best_epoch_
    assert bad.n_iter_ < good.n_iter_


def test_sample_weights_of_the_validation_data(small_digits):
    (X, y), (Xv, yv) = _digits(small_digits)
    params = {**FAST_CNN, "epochs": 2, "early_stopping": False}
    w = np.where(yv == 0, 1.0, 0.0)
    weighted = CNNClassifier(**params).fit(X, y, validation_data=(Xv, yv, w))
    only_zeros = CNNClassifier(**params).fit(
        X, y, validation_data=(Xv[yv == 0], yv[yv == 0])
    )
    # weights 1/0 on Xv: the weighted mean over Xv is the mean over the 1s
    # (Keras divides by the number of rows, so rescale by their share)
    share = w.mean()
    assert weighted.history_["val_loss"][-1] / share == pytest.approx(
        only_zeros.history_["val_loss"][-1], rel=1e-3
    )


def test_validation_data_routes_through_grid_search(small_digits):
    (X, y), (Xv, yv) = _digits(small_digits)
    search = GridSearchCV(
        CNNClassifier(**{**FAST_CNN, "epochs": 3}), {"dropout": [0.0, 0.5]}, cv=2
    )
    search.fit(X, y, validation_data=(Xv, yv))
    best = search.best_estimator_
    assert len(best.history_["val_loss"]) == best.n_iter_
    # refit on all 300 rows: the validation loss is on the 100 given rows
    expected = log_loss(yv, best.predict_proba(Xv), labels=best.classes_)
    assert best.history_["val_loss"][best.best_epoch_] == pytest.approx(
        expected, rel=1e-3
    )


def test_pandas_validation_data_with_feature_names(small_digits):
    (X, y), (Xv, yv) = _digits(small_digits)
    cols = [f"px{i}" for i in range(64)]
    clf = CNNClassifier(**{**FAST_CNN, "epochs": 2, "early_stopping": False})
    clf.fit(pd.DataFrame(X, columns=cols), y, validation_data=(
        pd.DataFrame(Xv, columns=cols), pd.Series(yv)
    ))  # fmt: skip
    assert len(clf.history_["val_loss"]) == 2


@pytest.mark.parametrize(
    "validation_data, error, match",
    [
        ([1, 2], TypeError, "validation_data must be a tuple .*Received: "
         "validation_data of type list"),
        ((np.ones((5, 64)),), ValueError, "y_val.*Received: validation_data "
         "of length 1"),
        ((np.ones((5, 63)), np.zeros(5)), ValueError, "validation_data: X has 63 "
         "features"),
        ((np.ones((5, 64)), np.full(5, 9)), ValueError, "validation_data: y "
         "contains labels not seen"),
        ((np.ones((5, 64)), np.zeros(4)), ValueError, "validation_data: X and y "
         "have inconsistent"),
        ((np.ones((0, 64)), np.zeros(0)), ValueError, "validation_data: .*0 "
         "sample"),
    ],
)  # fmt: skip
def test_bad_validation_data_fails_before_training(
    small_digits, validation_data, error, match
):
    (X, y), _ = _digits(small_digits)
    clf = CNNClassifier(**FAST_CNN)
    with pytest.raises(error, match=match):
        clf.fit(X, y, validation_data=validation_data)
    assert not hasattr(clf, "model_")


def test_autoencoder_validation_data_checks(small_digits):
    (X, _), (Xv, _) = _digits(small_digits)
    ae = AutoencoderTransformer(n_components=4, epochs=2, random_state=0)
    with pytest.raises(ValueError, match="validation_data: X has 10 features"):
        ae.fit(X, validation_data=np.ones((5, 10)))
    with pytest.raises(ValueError, match="no targets.*Received: validation_data "
                       "with y_val of type ndarray"):  # fmt: skip
        ae.fit(X, validation_data=(Xv, np.zeros(len(Xv))))
    # (X_val,) and (X_val, None) are X_val alone
    a = ae.set_params(early_stopping=False).fit(X, validation_data=(Xv, None))
    b = AutoencoderTransformer(**a.get_params()).fit(X, validation_data=Xv)
    assert a.history_["val_loss"] == b.history_["val_loss"]


def test_warm_start_takes_validation_data_again(small_digits):
    (X, y), (Xv, yv) = _digits(small_digits)
    clf = CNNClassifier(**{**FAST_CNN, "epochs": 2, "warm_start": True})
    clf.fit(X, y, validation_data=(Xv, yv))
    clf.fit(X, y, validation_data=(Xv, yv))  # continues, watched again
    assert len(clf.history_["val_loss"]) == clf.n_iter_
