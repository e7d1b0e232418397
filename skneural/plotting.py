"""Plots of training and of reconstructions (matplotlib, optional).

matplotlib is imported only when a function here is called; without it a
clear ImportError says how to install it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_history", "plot_reconstructions"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skneural.plotting needs matplotlib, which is not installed: "
            "pip install matplotlib (or pip install 'skneural[examples]')."
        ) from exc
    return plt


def plot_history(estimator, ax=None):
    """Training and validation loss per epoch, with the kept epoch marked.

    Parameters
    ----------
    estimator : fitted skneural estimator
        Any estimator with ``history_`` (and ``best_epoch_``).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    ax : matplotlib Axes
        Lines labelled "training loss" and "validation loss"; with early
        stopping a vertical line labelled "kept epoch N" marks the epoch
        whose weights were restored (epochs count from 1).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skneural import CNNClassifier
    >>> from skneural.plotting import plot_history
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CNNClassifier(image_shape=(8, 8), epochs=3, random_state=0)
    >>> ax = plot_history(clf.fit(X[:300], y[:300]))
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['training loss', 'validation loss']
    """
    check_is_fitted(estimator, "history_")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    history = estimator.history_
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], label="training loss")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], label="validation loss")
    best = getattr(estimator, "best_epoch_", None)
    if best is not None:
        ax.axvline(best + 1, color="k", linestyle="--", label=f"kept epoch {best + 1}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(type(estimator).__name__)
    ax.legend()
    return ax


def plot_reconstructions(transformer, X, image_shape=None, n_images=8, axes=None):
    """Originals (top row) next to their autoencoder reconstructions.

    Parameters
    ----------
    transformer : fitted AutoencoderTransformer
        Anything with ``transform`` and ``inverse_transform``.
    X : array-like of shape (n_samples, n_features)
        Rows that are flattened images.
    image_shape : tuple of int, default=None
        ``(height, width)``; None takes a square image.
    n_images : int, default=8
        How many rows of ``X`` to show.
    axes : array of matplotlib Axes of shape (2, n_images), default=None
        Where to draw; a new figure if None.

    Returns
    -------
    axes : ndarray of matplotlib Axes, shape (2, n_images)
        ``axes[0, i]`` shows ``X[i]``, ``axes[1, i]`` its reconstruction.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skneural import AutoencoderTransformer
    >>> from skneural.plotting import plot_reconstructions
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, epochs=3, random_state=0)
    >>> axes = plot_reconstructions(ae.fit(X[:300]), X[:4], n_images=4)
    >>> axes.shape
    (2, 4)
    """
    check_is_fitted(transformer)
    plt = _pyplot()
    X = np.asarray(X, dtype=float)[:n_images]
    n = len(X)
    if image_shape is None:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(
                "X must hold square images, or pass image_shape=(height, "
                f"width). Received: X.shape[1]={X.shape[1]}, image_shape=None"
            )
        image_shape = (side, side)
    recon = transformer.inverse_transform(transformer.transform(X))
    if axes is None:
        _, axes = plt.subplots(2, n, figsize=(1.2 * n, 2.6), squeeze=False)
    vmin, vmax = X.min(), X.max()
    for i in range(n):
        for row, images in enumerate((X, recon)):
            ax = axes[row, i]
            ax.imshow(
                images[i].reshape(image_shape), cmap="gray_r", vmin=vmin, vmax=vmax
            )
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("original")
    axes[1, 0].set_ylabel("reconstruction")
    return axes
