"""
Fully connected against convolutional layers, and what max pooling keeps
========================================================================

``CNNClassifier(filters=())`` has no convolution: it is a plain fully
connected network on the pixels. The script trains it and a CNN on the same
digits, prints each network's number of weights and test accuracy, and
draws a digit next to its 2x2 max-pooled version: pooling halves the
resolution but keeps the strongest value of each window, so the strokes
survive.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skneural import CNNClassifier  # noqa: E402

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
nets = {
    "dense (no convolution)": CNNClassifier(
        filters=(), dense_units=(256, 128), image_shape=(8, 8), random_state=0
    ),
    "convolutional": CNNClassifier(
        filters=(16, 32), dense_units=(64,), image_shape=(8, 8), random_state=0
    ),
}
for name, clf in nets.items():
    clf.fit(X_train, y_train)
    print(
        f"{name:>22}: {clf.model_.count_params():>6} weights, "
        f"test accuracy {clf.score(X_test, y_test):.3f}"
    )

image = X[0].reshape(8, 8)
pooled = image.reshape(4, 2, 4, 2).max(axis=(1, 3))
fig, axes = plt.subplots(1, 2, figsize=(5, 2.6))
for ax, img, title in zip(axes, (image, pooled), ("8x8 digit", "2x2 max pooled")):
    ax.imshow(img, cmap="gray_r")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
fig.savefig("max_pooling.png", dpi=120, bbox_inches="tight")
