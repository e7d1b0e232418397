"""Shared fixtures: small data and one fitted CNN reused across tests."""

import os

import numpy as np
import pytest
from sklearn.datasets import load_digits

# The suite runs in pytest-xdist workers (pyproject's addopts). Each worker
# gets its share of the cores in OMP_NUM_THREADS, as joblib's and Dask's
# workers do; skneural hands it on to TensorFlow (limit_tensorflow_threads),
# so that two workers on two cores do not run four busy thread pools.
_WORKERS = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
if _WORKERS:
    os.environ.setdefault(
        "OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // int(_WORKERS)))
    )


@pytest.fixture(scope="session")
def digits():
    """Flat 8x8 digit images (values 0-16) and labels."""
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y


@pytest.fixture(scope="session")
def small_digits(digits):
    """400 digits of 4 classes: enough to learn, quick to fit."""
    X, y = digits
    keep = np.isin(y, [0, 1, 2, 3])
    return X[keep][:400], y[keep][:400]


FAST_CNN = dict(
    filters=(8,),
    dense_units=(32,),
    image_shape=(8, 8),
    epochs=15,
    batch_size=64,
    random_state=0,
)


@pytest.fixture(scope="session")
def fitted_cnn(small_digits):
    from skneural import CNNClassifier

    X, y = small_digits
    return CNNClassifier(**FAST_CNN).fit(X, y)
