"""
Denoising autoencoder
=====================

Test digits are corrupted with Gaussian noise of half each pixel's standard
deviation. An ``AutoencoderTransformer`` trained with ``noise=0.5`` (the same
corruption, in the same units, applied to its inputs during training only)
learns to map noisy rows to clean ones; one trained without noise has never
seen noisy rows. The script prints the error of each against the *clean* test
digits, next to the error of the noisy input itself, and draws a few.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skneural import AutoencoderTransformer  # noqa: E402

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test = train_test_split(X, test_size=0.25, stratify=y, random_state=0)[:2]
rng = np.random.RandomState(0)
# noise in units of each pixel's spread, as the estimator's ``noise`` is
X_noisy = X_test + 0.5 * X_train.std(axis=0) * rng.normal(size=X_test.shape)

rows = [("noisy input", X_noisy)]
print(f"noisy input:             MSE vs clean {np.mean((X_noisy - X_test) ** 2):.4f}")
for name, noise in (("plain autoencoder", 0.0), ("denoising autoencoder", 0.5)):
    ae = AutoencoderTransformer(n_components=16, noise=noise, random_state=0)
    ae.fit(X_train)
    recon = ae.inverse_transform(ae.transform(X_noisy))
    print(f"{name + ':':24} MSE vs clean {np.mean((recon - X_test) ** 2):.4f}")
    rows.append((name, recon))
rows.insert(0, ("clean", X_test))

fig, axes = plt.subplots(len(rows), 8, figsize=(8, 4.4))
for r, (name, images) in enumerate(rows):
    for c in range(8):
        axes[r, c].imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    axes[r, 0].set_ylabel(name, fontsize=7)
fig.savefig("denoising.png", dpi=120, bbox_inches="tight")
