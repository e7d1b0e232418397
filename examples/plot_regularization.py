"""
Overfitting, dropout and early stopping
=======================================

A CNN far too large for 150 training digits, trained four ways: with no
regularisation, with dropout, with early stopping, and with both. Each panel
shows the training loss and the loss on held-out validation digits per
epoch; the script prints the epochs run and the test accuracy of each.

Without regularisation the training loss falls towards zero while the
validation loss stays high: the gap is overfitting, the network memorising
its few examples. The two regularisers work differently. **Dropout** zeroes
a random share of the units at every training step, so the network cannot
rely on any single unit; it changes what is learned, and the training loss
stays well above the unregularised one. **Early stopping** changes when
learning stops: it holds out part of the training digits, watches their loss
and keeps the weights of the epoch where it was lowest (dashed line), so
fewer epochs run. Compare the printed test accuracies: with only 150
training digits, the small split early stopping holds out (and no longer
trains on) makes its choice noisy.
"""

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skneural import CNNClassifier  # noqa: E402

X, y = load_digits(return_X_y=True)
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, train_size=150, stratify=y, random_state=0
)
X_val, X_test, y_val, y_test = train_test_split(
    X_rest, y_rest, train_size=300, stratify=y_rest, random_state=0
)


class ValidationLoss(keras.callbacks.Callback):
    """Loss on the same held-out digits after every epoch, for every run."""

    losses = []

    def on_epoch_end(self, epoch, logs=None):
        images = X_val.reshape(-1, 8, 8, 1).astype("float32")
        proba = keras.ops.convert_to_numpy(self.model(images, training=False))
        loss = -np.mean(np.log(proba[np.arange(len(y_val)), y_val] + 1e-7))
        ValidationLoss.losses.append(loss)


runs = {
    "no regularisation": dict(dropout=0.0, early_stopping=False),
    "dropout 0.5": dict(dropout=0.5, early_stopping=False),
    # early stopping needs at least 20 held-out digits: 15% of 150 is 23
    "early stopping": dict(dropout=0.0, validation_fraction=0.15),
    "dropout + early stopping": dict(dropout=0.5, validation_fraction=0.15),
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), sharey=True)
for ax, (name, params) in zip(axes, runs.items()):
    ValidationLoss.losses = []
    clf = CNNClassifier(
        filters=(64,),
        dense_units=(512, 512),
        image_shape=(8, 8),
        epochs=60,
        n_iter_no_change=5,
        callbacks=[ValidationLoss()],
        random_state=0,
        **params,
    ).fit(X_train, y_train)
    print(
        f"{name:>25}: {clf.n_iter_:>2} epochs, final training loss "
        f"{clf.loss_curve_[-1]:.3f}, test accuracy {clf.score(X_test, y_test):.3f}"
    )
    epochs = np.arange(1, clf.n_iter_ + 1)
    ax.plot(epochs, clf.loss_curve_, label="training")
    ax.plot(epochs, ValidationLoss.losses, label="validation")
    if clf.best_epoch_ is not None:
        ax.axvline(clf.best_epoch_ + 1, color="k", linestyle="--", label="kept")
    ax.set_title(name)
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
axes[0].set_ylabel("loss")
axes[0].legend()
fig.savefig("regularization.png", dpi=120, bbox_inches="tight")
