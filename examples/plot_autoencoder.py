"""
Autoencoders: reconstructions against PCA, and anomaly scores on wbc
=====================================================================

Two figures, saved as PNG files next to where the script runs:

- ``autoencoder_reconstructions.png``: digits (top row), their
  reconstruction by an ``AutoencoderTransformer`` with 10 codes (middle) and
  by ``PCA(10)`` (bottom), with each method's mean squared error;
- ``wbc_anomaly_scores.png``: a histogram of the anomaly scores of an
  ``AutoencoderAnomalyDetector`` on the ODDS wbc set, the threshold it chose
  (``offset_``) as a vertical line and the true outliers marked.

Run it with ``python examples/plot_autoencoder.py`` (needs matplotlib, from
the ``examples`` extra).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skneural import AutoencoderAnomalyDetector, AutoencoderTransformer  # noqa: E402
from skneural.datasets import load_wbc  # noqa: E402

# --- reconstructions -------------------------------------------------------
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test = train_test_split(X, test_size=0.25, stratify=y, random_state=0)[:2]

ae = AutoencoderTransformer(n_components=10, random_state=0).fit(X_train)
pca = PCA(n_components=10).fit(X_train)
rec_ae = ae.inverse_transform(ae.transform(X_test))
rec_pca = pca.inverse_transform(pca.transform(X_test))
sse_ae = ((rec_ae - X_test) ** 2).sum(axis=1).mean()
sse_pca = ((rec_pca - X_test) ** 2).sum(axis=1).mean()
print(f"mean per-image squared error, autoencoder(10): {sse_ae:.3f}")
print(f"mean per-image squared error, PCA(10):         {sse_pca:.3f}")

n_show = 10
fig, axes = plt.subplots(3, n_show, figsize=(n_show, 3.4))
rows = [
    ("original", X_test),
    (f"autoencoder\nSSE {sse_ae:.2f}", rec_ae),
    (f"PCA\nSSE {sse_pca:.2f}", rec_pca),
]
for r, (label, images) in enumerate(rows):
    for c in range(n_show):
        ax = axes[r, c]
        ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(label, fontsize=8)
fig.suptitle("Digits reconstructed from 10 numbers")
fig.savefig("autoencoder_reconstructions.png", dpi=120, bbox_inches="tight")

# --- anomaly scores -------------------------------------------------------
Xw, yw = load_wbc()
det = AutoencoderAnomalyDetector(random_state=0).fit(Xw)
scores = -det.score_samples(Xw)  # higher = more anomalous
threshold = -det.offset_
auc = roc_auc_score(yw, scores)
flagged = det.predict(Xw) == -1
print(
    f"wbc: ROC-AUC {auc:.3f}; {flagged.sum()} rows flagged, "
    f"{(flagged & (yw == 1)).sum()} of {yw.sum()} true outliers among them"
)

fig, ax = plt.subplots(figsize=(7, 3.5))
# scores span two orders of magnitude: log-spaced bins on a log axis
bins = np.logspace(np.log10(scores.min()), np.log10(scores.max() * 1.02), 40)
ax.hist(scores[yw == 0], bins=bins, alpha=0.7, label="inliers (benign)")
ax.hist(scores[yw == 1], bins=bins, alpha=0.9, label="true outliers (malignant)")
ax.plot(scores[yw == 1], np.zeros(yw.sum()), "k|", markersize=14)
ax.axvline(threshold, color="k", linestyle="--", label="threshold (offset_)")
ax.set_xscale("log")
ax.set_xlabel("anomaly score (-score_samples, log scale)")
ax.set_ylabel("rows")
ax.set_title(f"AutoencoderAnomalyDetector on wbc, ROC-AUC {auc:.3f}")
ax.legend()
fig.savefig("wbc_anomaly_scores.png", dpi=120, bbox_inches="tight")
print("saved autoencoder_reconstructions.png and wbc_anomaly_scores.png")
