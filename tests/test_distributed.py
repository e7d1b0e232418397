"""Searches on a Dask cluster give the results of a serial search.

A real ``distributed.LocalCluster`` with process workers (each its own
interpreter, as on a cluster), started by the fixture; scikit-learn's
searches reach it through joblib's Dask backend. A seeded fit draws every
random number from seeds derived from ``random_state`` (no global generator),
so where a fit runs does not change it: the scores are equal, not close.
"""

import logging
import sys

import distributed
import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_validate,
)

from skneural import CNNClassifier, LSTMSequenceClassifier, _backend

# The cluster's workers import TensorFlow once each: one module, one worker.
pytestmark = pytest.mark.xdist_group("dask")

CNN = CNNClassifier(
    image_shape=(8, 8),
    filters=(4,),
    dense_units=(16,),
    epochs=10,
    batch_size=16,
    learning_rate=0.01,
    random_state=0,
)
CV = StratifiedKFold(2, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def client():
    # Process workers with one thread each, as a Dask deployment runs them;
    # the nanny sets OMP_NUM_THREADS=1 in each, and skneural gives
    # TensorFlow that budget.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:240], y[:240]


def _on_dask(run):
    with joblib.parallel_backend("dask"):
        return run()


def _scores(cv_results):
    keys = sorted(k for k in cv_results if k.startswith("split") and "test" in k)
    return np.array([cv_results[k] for k in keys])


def test_grid_search_on_dask_equals_serial(client, digits):
    X, y = digits
    grid = {"dense_units": [(8,), (16,)]}

    def search():
        return GridSearchCV(CNN, grid, cv=CV).fit(X, y)

    serial = search()
    remote = _on_dask(search)
    # both workers took part
    assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(
        _scores(remote.cv_results_), _scores(serial.cv_results_)
    )
    assert remote.best_params_ == serial.best_params_
    np.testing.assert_array_equal(remote.predict_proba(X), serial.predict_proba(X))
    # the seeded fits learned (10 classes: chance is 0.1; seeds 0-2 gave
    # 0.68-0.94 per candidate)
    assert serial.best_score_ > 0.5
    # each worker that fitted (imported Keras) will skip its exit's garbage
    # collection, which the client's script would wait for at its end
    on_workers = client.run(
        lambda: ("keras" in sys.modules, _backend._exit_collection_skipped)
    )
    assert any(fitted for fitted, _ in on_workers.values())
    assert all(fitted == skipped for fitted, skipped in on_workers.values())


def test_randomized_search_and_cross_validate_on_dask_equal_serial(client, digits):
    X, y = digits
    distributions = {"learning_rate": [0.003, 0.01, 0.03]}

    def randomized():
        return RandomizedSearchCV(
            CNN, distributions, n_iter=2, cv=CV, random_state=0
        ).fit(X, y)

    serial, remote = randomized(), _on_dask(randomized)
    assert remote.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_array_equal(
        _scores(remote.cv_results_), _scores(serial.cv_results_)
    )

    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(rng.randint(4, 10), 2)) for _ in range(120)]
    labels = [int(s[0, 0] > 0) for s in seqs]
    lstm = LSTMSequenceClassifier(units=4, epochs=3, random_state=0)

    def validate():
        return cross_validate(lstm, seqs, labels, cv=CV)["test_score"]

    np.testing.assert_array_equal(_on_dask(validate), validate())
