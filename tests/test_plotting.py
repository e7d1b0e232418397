"""skneural.plotting: what is drawn, on matplotlib's Agg backend."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")  # optional dependency
matplotlib.use("Agg")

from skneural import AutoencoderTransformer, CNNClassifier  # noqa: E402
from skneural.plotting import plot_history, plot_reconstructions  # noqa: E402


def test_plot_history_draws_losses_and_kept_epoch(small_digits):
    X, y = small_digits
    est = CNNClassifier(
        filters=(4,), image_shape=(8, 8), epochs=40, n_iter_no_change=2,
        batch_size=64, random_state=0,
    ).fit(X, y)  # fmt: skip
    ax = plot_history(est)
    lines = {line.get_label(): line for line in ax.get_lines()}
    train, val = lines["training loss"], lines["validation loss"]
    assert np.allclose(train.get_ydata(), est.history_["loss"])
    assert np.allclose(val.get_ydata(), est.history_["val_loss"])
    assert list(train.get_xdata()) == list(range(1, est.n_iter_ + 1))
    kept = lines[f"kept epoch {est.best_epoch_ + 1}"]
    assert kept.get_xdata()[0] == est.best_epoch_ + 1
    # the kept epoch is where the validation loss is lowest, up to tol (a
    # later epoch that improves on it by less does not count as better)
    val = np.array(est.history_["val_loss"])
    assert val[est.best_epoch_] <= val.min() + est.tol
    assert val[est.best_epoch_] < val[: est.best_epoch_].min() - est.tol


def test_plot_history_without_early_stopping(small_digits):
    X, y = small_digits
    est = CNNClassifier(
        filters=(4,), image_shape=(8, 8), epochs=2, early_stopping=False,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    labels = [line.get_label() for line in plot_history(est).get_lines()]
    assert labels == ["training loss"]


def test_plot_reconstructions_shows_originals_and_reconstructions(digits):
    X, _ = digits
    ae = AutoencoderTransformer(
        n_components=4, hidden_layer_sizes=(16,), epochs=2, random_state=0
    ).fit(X[:200])
    axes = plot_reconstructions(ae, X[:3], n_images=3)
    assert axes.shape == (2, 3)
    original = axes[0, 1].get_images()[0].get_array()
    recon = axes[1, 1].get_images()[0].get_array()
    assert np.allclose(original, X[1].reshape(8, 8))
    expected = ae.inverse_transform(ae.transform(X[1:2]))[0].reshape(8, 8)
    assert np.allclose(recon, expected, atol=1e-5)
    with pytest.raises(ValueError, match="must hold square images.*Received: X.shape"):
        plot_reconstructions(ae, np.zeros((2, 60)))


def test_missing_matplotlib_gives_a_clear_error(monkeypatch, fitted_cnn):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="needs matplotlib.*pip install"):
        plot_history(fitted_cnn)
