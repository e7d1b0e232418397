"""
Gradient descent: per example, in mini-batches, on the full batch
=================================================================

The same small CNN is trained on 500 digits for 15 epochs with
``batch_size=1`` (stochastic gradient descent: one update per example),
``batch_size=32`` (mini-batches) and ``batch_size=500`` (full batch: one
update per epoch). Smaller batches make many more, noisier updates per
epoch: the loss falls faster per epoch but each epoch costs more steps.
The script prints each run's updates, final training loss, test accuracy
and time.
"""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skneural import CNNClassifier  # noqa: E402

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, stratify=y, random_state=0
)

fig, ax = plt.subplots(figsize=(6, 3.5))
for batch_size in (1, 32, len(X_train)):
    clf = CNNClassifier(
        filters=(8,),
        dense_units=(32,),
        image_shape=(8, 8),
        batch_size=batch_size,
        epochs=15,
        early_stopping=False,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    updates = 15 * -(-len(X_train) // batch_size)
    print(
        f"batch_size={batch_size:>3}: {updates:>5} updates, final training loss "
        f"{clf.loss_curve_[-1]:.3f}, test accuracy {clf.score(X_test, y_test):.3f}, "
        f"{seconds:.1f} s"
    )
    ax.plot(range(1, 16), clf.loss_curve_, label=f"batch_size={batch_size}")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_yscale("log")
ax.set_title("Same network, three batch sizes")
ax.legend()
fig.savefig("gradient_descent.png", dpi=120, bbox_inches="tight")
