"""
LSTM on GunPoint: loss curves on a real time-series set
=======================================================

GunPoint (UCR archive, shipped in the ``aeon`` wheel) holds 150-step traces
of a hand's horizontal position: an actor draws a gun from a holster and
points it, or points a finger. There are only 50 training series and 150
test series, in aeon's ``(n, channels, timesteps)`` layout, which
``data_format="channels_first"`` reads as it is.

The default classifier reads each series 4 steps at a time
(``frame_length=4``): its LSTM runs 38 steps instead of 150. Early stopping
needs at least 20 held-out series to pick an epoch by; 10% of 50 is 5, so the
default fit trains all its epochs on all 50 series. The script prints its
test accuracy.

To see training and validation loss side by side, a second classifier holds
out 40% (20 series) and early-stops on them. The right panel shows its loss
per epoch from ``history_`` and marks the epoch whose weights it kept; the
script prints that classifier's test accuracy too. Compare the two panels:
for its first epochs the network sits near chance (loss about 0.69) before it
finds the features that matter, and early stopping on a small validation set
can end training in that phase, from 30 training series. The left panel's
loss only leaves 0.69 after about 20 epochs and keeps falling for another
hundred.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from aeon.datasets import load_classification  # noqa: E402

from skneural import LSTMSequenceClassifier  # noqa: E402
from skneural.plotting import plot_history  # noqa: E402

X_train, y_train = load_classification("GunPoint", split="train")
X_test, y_test = load_classification("GunPoint", split="test")
print(f"train {X_train.shape}, test {X_test.shape} (n, channels, timesteps)")

default = LSTMSequenceClassifier(data_format="channels_first", random_state=0)
default.fit(X_train, y_train)
print(
    f"default settings: {default.n_iter_} epochs on all 50 series, "
    f"test accuracy {default.score(X_test, y_test):.3f}"
)

held_out = LSTMSequenceClassifier(
    data_format="channels_first", validation_fraction=0.4, random_state=0
).fit(X_train, y_train)
print(
    f"20 series held out: stopped after {held_out.n_iter_} epochs, kept epoch "
    f"{held_out.best_epoch_ + 1}, test accuracy {held_out.score(X_test, y_test):.3f}"
)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
plot_history(default, ax=axes[0])
axes[0].set_title("default: all 50 series, no validation")
plot_history(held_out, ax=axes[1])
axes[1].set_title("40% held out for early stopping")
fig.tight_layout()
fig.savefig("gunpoint_loss.png", dpi=120, bbox_inches="tight")
