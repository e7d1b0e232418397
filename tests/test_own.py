"""NeuralClassifier and NeuralRegressor: your own Keras network."""

import pickle
import random

import keras
import numpy as np
import pytest
from _scripts import run_script
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_friedman1
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPRegressor

from skneural import NeuralClassifier, NeuralRegressor

pytestmark = pytest.mark.xdist_group("own")

FAST = dict(epochs=20, batch_size=32, random_state=0)


def build(units, n_features_in, n_outputs):
    """Takes two meta arguments only: passing others would be a TypeError."""
    return keras.Sequential(
        [
            keras.Input((n_features_in,)),
            keras.layers.Dense(units, activation="relu", name="hidden"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(n_outputs, activation="softmax"),
        ]
    )


def build_functional(n_features_in, n_classes, width=8, **meta):
    inputs = keras.Input((n_features_in,))
    x = keras.layers.Dense(width, activation="tanh", name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(n_classes, "softmax")(x))


@keras.saving.register_keras_serializable(package="skneural_tests")
class TwoLayers(keras.Model):
    def __init__(self, units=8, n_outputs=3, **kwargs):
        super().__init__(**kwargs)
        self.units, self.n_outputs = units, n_outputs
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = keras.layers.Dense(n_outputs, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "n_outputs": self.n_outputs,
        }


def build_subclassed(n_outputs, units=16):
    return TwoLayers(units=units, n_outputs=n_outputs)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


# ------------------------------------------------------------------ routing


def test_routed_parameters_reach_the_network_and_round_trip(iris):
    X, _, y, _ = iris
    clf = NeuralClassifier(build, model__units=7, **FAST)
    assert clf.get_params()["model__units"] == 7
    assert "model__units=7" in repr(clf)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    clf.fit(X, y)
    assert clf.model_.get_layer("hidden").units == 7
    clf.set_params(model__units=3).fit(X, y)
    assert clf.model_.get_layer("hidden").units == 3
    assert copy.get_params()["model__units"] == 7  # clones do not share


def test_grid_search_over_routed_parameters(iris):
    X, _, y, _ = iris
    search = GridSearchCV(
        NeuralClassifier(build, model__units=2, **FAST),
        {"model__units": [4, 16]},
        cv=2,
    ).fit(X, y)
    assert list(search.cv_results_["param_model__units"]) == [4, 16]
    best = search.best_params_["model__units"]
    assert search.best_estimator_.model_.get_layer("hidden").units == best


def test_meta_arguments_go_to_those_the_callable_names(iris):
    X, _, y, _ = iris
    seen = {}

    def spy(n_classes, input_shape, seed, **rest):
        seen.update(n_classes=n_classes, input_shape=input_shape, seed=seed, **rest)
        return build_functional(4, n_classes)

    NeuralClassifier(spy, model__width=5, **FAST).fit(X, y)
    assert seen["n_classes"] == seen["n_outputs"] == 3
    assert seen["input_shape"] == (4,) and seen["n_features_in"] == 4
    assert seen["width"] == 5 and isinstance(seen["seed"], int)


def test_bad_routing_and_bad_networks_fail_before_training(iris):
    X, _, y, _ = iris
    with pytest.raises(TypeError, match="unexpected parameter 'units'"):
        NeuralClassifier(build, units=3).fit(X, y)
    with pytest.raises(ValueError, match="model__ parameters.*model__units"):
        NeuralClassifier(model__units=3, **FAST).fit(X, y)

    def sigmoid(n_features_in):
        return keras.Sequential(
            [keras.Input((n_features_in,)), keras.layers.Dense(1, "sigmoid")]
        )

    def logits(n_features_in, n_outputs):
        return keras.Sequential(
            [keras.Input((n_features_in,)), keras.layers.Dense(n_outputs)]
        )

    with pytest.raises(ValueError, match=r"output 3 value.*Received: output of sh"):
        NeuralClassifier(sigmoid, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="end in a softmax.*Received: output rows"):
        NeuralClassifier(logits, **FAST).fit(X, y)
    with pytest.raises(TypeError, match="must return a keras.Model.*type dict"):
        NeuralClassifier(lambda: {}, **FAST).fit(X, y)


# ------------------------------------------------- networks and base features


@pytest.mark.parametrize(
    "model", [build_functional, build_subclassed], ids=["functional", "subclassed"]
)
def test_functional_and_subclassed_networks_learn_and_pickle(iris, model):
    X, X_test, y, y_test = iris
    clf = NeuralClassifier(model, **{**FAST, "epochs": 300}).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.85
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        again.predict_proba(X_test), clf.predict_proba(X_test)
    )


def test_a_model_instance_is_cloned_for_every_fit(iris):
    X, X_test, y, _ = iris
    given = build_functional(4, 3)
    before = [w.copy() for w in given.get_weights()]
    a = NeuralClassifier(given, **FAST).fit(X, y)
    b = NeuralClassifier(given, **FAST).fit(X, y)
    assert a.model_ is not given
    for w, w0 in zip(given.get_weights(), before):
        np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))


def test_unseeded_user_layers_follow_random_state_not_global_random(iris):
    X, X_test, y, _ = iris
    random.seed(1)
    a = NeuralClassifier(build, model__units=8, **FAST).fit(X, y)
    random.seed(2)
    state = random.getstate()
    b = NeuralClassifier(build, model__units=8, **FAST).fit(X, y)
    assert random.getstate() == state  # the user's stream is untouched
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    c = NeuralClassifier(build, model__units=8, **{**FAST, "random_state": 1})
    assert not np.array_equal(
        c.fit(X, y).predict_proba(X_test), a.predict_proba(X_test)
    )


def test_early_stopping_class_weight_and_partial_fit(iris):
    X, X_test, y, y_test = iris
    clf = NeuralClassifier(
        build, model__units=16, epochs=300, n_iter_no_change=5, random_state=0
    ).fit(X, y, validation_data=(X_test, (y_test + 1) % 3))
    # labels that disagree with the flowers: the loss on them rises as the
    # network learns, and early stopping ends the fit
    assert clf.n_iter_ < 300 and clf.best_epoch_ is not None
    assert clf.best_validation_score_ == clf.validation_scores_[clf.best_epoch_]
    weighted = NeuralClassifier(build, model__units=8, class_weight={0: 50.0}, **FAST)
    share = np.mean(weighted.fit(X, y).predict(X_test) == 0)
    assert share > np.mean(y_test == 0)
    # (a step of 0.01: three epochs at Adam's 0.001 barely move the loss)
    part = NeuralClassifier(build, model__units=8, learning_rate=0.01, random_state=0)
    for _ in range(3):
        part.partial_fit(X, y, classes=[0, 1, 2])
    assert part.n_iter_ == 3 and part.loss_curve_[-1] < part.loss_curve_[0]


# -------------------------------------------------------------- regression


def test_default_regressor_matches_mlp_regressor_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    ours = NeuralRegressor(random_state=0).fit(X_tr, y_tr).score(X_te, y_te)
    mlp = MLPRegressor(max_iter=2000, early_stopping=True, random_state=0)
    theirs = mlp.fit(X_tr, y_tr).score(X_te, y_te)
    assert ours >= theirs - 0.02, (ours, theirs)
    assert ours > 0.3


def test_regressor_targets_one_and_two_columns():
    X, y = make_friedman1(n_samples=400, random_state=0)
    Y = np.column_stack([y, 100 * y + 1000])
    reg = NeuralRegressor(hidden_layer_sizes=(32,), **FAST).fit(X, Y)
    assert reg.predict(X).shape == (400, 2) and reg.n_outputs_ == 2
    # the second column is in its own units: target scaling undoes them
    pred = reg.predict(X)
    assert np.corrcoef(pred[:, 1], Y[:, 1])[0, 1] > 0.8
    assert abs(pred[:, 1].mean() - Y[:, 1].mean()) < 0.1 * Y[:, 1].std()
    np.testing.assert_allclose(reg.y_mean_, Y.mean(axis=0))
    one = NeuralRegressor(hidden_layer_sizes=(32,), **FAST).fit(X, y)
    assert one.predict(X).shape == (400,)
    plain = NeuralRegressor(target_scaling=False, **FAST).fit(X, y)
    assert plain.y_mean_.tolist() == [0.0] and plain.y_scale_.tolist() == [1.0]
    with pytest.raises(ValueError, match="2 target column.*fitted with 1"):
        one.partial_fit(X, Y)


def test_regressor_with_own_network_and_partial_fit():
    X, y = make_friedman1(n_samples=300, random_state=0)

    def linear(n_features_in, n_outputs):
        return keras.Sequential(
            [keras.Input((n_features_in,)), keras.layers.Dense(n_outputs)]
        )

    reg = NeuralRegressor(linear, learning_rate=0.05, random_state=0)
    for _ in range(10):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 10 and reg.loss_curve_[-1] < reg.loss_curve_[0]
    assert reg.mean_ is None  # your network sees X as it is
    assert reg.score(X, y) > 0.5  # friedman1 is ~75% linear


# ---------------------------------------------------------------- backends


SCRIPT = r"""
import json, pickle
import keras, numpy as np
from sklearn.datasets import load_iris, load_diabetes
from sklearn.model_selection import GridSearchCV
from skneural import NeuralClassifier, NeuralRegressor

def build(units, n_features_in, n_outputs):
    return keras.Sequential([keras.Input((n_features_in,)),
        keras.layers.Dense(units, activation="relu", name="hidden"),
        keras.layers.Dense(n_outputs, activation="softmax")])

X, y = load_iris(return_X_y=True)
kw = dict(epochs=100, random_state=0)
search = GridSearchCV(NeuralClassifier(build, model__units=2, **kw),
                      {"model__units": [8, 16]}, cv=2).fit(X, y)
clf = search.best_estimator_
again = pickle.loads(pickle.dumps(clf))
units = clf.model_.get_layer("hidden").units
twin = NeuralClassifier(build, **kw, model__units=units).fit(X, y)
Xd, yd = load_diabetes(return_X_y=True)
reg = NeuralRegressor(random_state=0).fit(Xd[:300], yd[:300])
print("RESULT" + json.dumps({
    "score": clf.score(X, y),
    "units": units == search.best_params_["model__units"],
    "pickle": bool(np.array_equal(again.predict_proba(X), clf.predict_proba(X))),
    "reproducible": bool(np.array_equal(twin.predict_proba(X), clf.predict_proba(X))),
    "r2": reg.score(Xd[300:], yd[300:]),
}))
"""


def test_own_networks_on_jax():
    out = run_script(SCRIPT, KERAS_BACKEND="jax")
    # iris training accuracy after 100 epochs (chance: 0.33); 0.87 on the
    # oldest versions CI runs (JAX 0.4.38), higher on the newest
    assert out["score"] > 0.8 and out["units"] and out["pickle"]
    assert out["reproducible"]
    assert out["r2"] > 0.3


def test_the_guide_page_runs():
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs/user_guide/own_network.rst"
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert result.attempted >= 8 and result.failed == 0
