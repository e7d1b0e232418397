"""Arrays larger than memory: a memory-mapped X is never copied whole.

NumPy reports its array allocations to ``tracemalloc``, so the peak traced
memory of a fit shows any copy of X that NumPy makes (TensorFlow's own
buffers are not traced: they hold one batch at a time).
``benchmarks/bench_memory.py`` measures the process's RssAnon at full size.
"""

import tracemalloc

import numpy as np
import pytest

from skneural import AutoencoderTransformer, CNNClassifier, NeuralRegressor

pytestmark = pytest.mark.xdist_group("large_data")

N, D = 30_000, 196  # 23.5 MB of float32 on disk


@pytest.fixture(scope="module")
def memmap_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("memmap") / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(N, D))
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(N, 4)).astype(np.float32)
    mixing = rng.normal(size=(4, D)).astype(np.float32)
    for start in range(0, N, 10_000):  # written in chunks, as a real one would be
        rows = slice(start, start + 10_000)
        X[rows] = latent[rows] @ mixing + 0.1 * rng.normal(size=(10_000, D))
    X.flush()
    del X
    return path


@pytest.fixture(autouse=True)
def small_statistics_chunks(monkeypatch):
    # 0.5 MB chunks for the statistics (8 MB by default) and 512-row
    # validation chunks (2048): the test's 23.5 MB array then spans many,
    # and a whole copy stands out from them
    from skneural import _batching, _training

    monkeypatch.setattr(_batching, "STAT_CHUNK_VALUES", 2**16)
    monkeypatch.setattr(_training, "PREDICT_CHUNK", 512)


def _peak_traced_bytes(fit):
    tracemalloc.start()
    try:
        fit()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("early_stopping", [True, False])
def test_autoencoder_fit_on_a_memmap_copies_no_more_than_chunks(
    memmap_file, early_stopping
):
    X = np.load(memmap_file, mmap_mode="r")
    params = dict(
        n_components=8,
        hidden_layer_sizes=(32,),
        epochs=2,
        batch_size=256,
        early_stopping=early_stopping,
        random_state=0,
    )
    AutoencoderTransformer(**params).fit(X[:300])  # imports and first traces
    est = AutoencoderTransformer(**params)
    peak = _peak_traced_bytes(lambda: est.fit(X))
    # A copy of X, of its standardised targets or of the training split
    # would alone be 0.9-2x X.nbytes (float64 temporaries: 2x). What is
    # left: one evaluation chunk (PREDICT_CHUNK rows, its targets made in
    # float64 on the way) and the statistics' chunks.
    assert peak < 0.35 * X.nbytes, f"peak {peak / 1e6:.1f} MB"
    assert est.n_iter_ == 2
    if early_stopping:
        assert len(est.history_["val_loss"]) == 2
    # the same fit from memory: the same network, to float32 rounding
    in_memory = AutoencoderTransformer(**params).fit(np.array(X))
    np.testing.assert_allclose(in_memory.mean_, est.mean_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        in_memory.loss_curve_, est.loss_curve_, rtol=1e-5, atol=1e-7
    )


def test_chunked_statistics_equal_numpy_moments(memmap_file, monkeypatch):
    from skneural import _batching

    X = np.load(memmap_file, mmap_mode="r")
    # many chunks of uneven size (the last is shorter)
    monkeypatch.setattr(_batching, "STAT_CHUNK_VALUES", 3001 * D)
    est = NeuralRegressor()
    est._fit_scaling(X, axis=0)
    np.testing.assert_allclose(est.mean_, X.mean(axis=0, dtype=np.float64), rtol=1e-10)
    np.testing.assert_allclose(est.scale_, X.std(axis=0, dtype=np.float64), rtol=1e-10)
    # pooled: one scale from the features' raw variances (a constant
    # feature adds variance 0, not the scale 1 it gets on its own)
    constant = np.column_stack([np.asarray(X[:, :3]), np.ones(N)])
    est._fit_scaling(constant, axis=0, pooled=True)
    pooled = np.sqrt(np.var(constant, axis=0).mean())
    np.testing.assert_allclose(est.scale_, np.full(4, pooled), rtol=1e-10)
    images = X[:600].reshape(600, 14, 14, 1)
    est._fit_scaling(images, axis=(0, 1, 2))
    assert est.mean_.shape == (1,)
    np.testing.assert_allclose(est.mean_, [images.mean(dtype=np.float64)], rtol=1e-10)


def test_cnn_and_regressor_fit_on_a_memmap(memmap_file):
    X = np.load(memmap_file, mmap_mode="r")
    y = (np.asarray(X[:, 0]) > 0).astype(int)
    cnn = CNNClassifier(
        image_shape=(14, 14), filters=(4,), dense_units=(8,), epochs=1,
        batch_size=256, random_state=0,
    )  # fmt: skip
    CNNClassifier(**cnn.get_params()).fit(X[:400], y[:400])
    peak = _peak_traced_bytes(lambda: cnn.fit(X, y))
    assert peak < 0.35 * X.nbytes, f"peak {peak / 1e6:.1f} MB"
    assert cnn.score(X[:2000], y[:2000]) > 0.8
    reg = NeuralRegressor(hidden_layer_sizes=(16,), epochs=1, random_state=0)
    NeuralRegressor(**reg.get_params()).fit(X[:400], y[:400])
    peak = _peak_traced_bytes(lambda: reg.fit(X, X[:, 1]))
    assert peak < 0.35 * X.nbytes, f"peak {peak / 1e6:.1f} MB"
