"""LSTMSequenceClassifier with default settings on UCR sets, against MiniRocket.

Data: the development sets of issue #12 from the ``aeon`` wheel (offline),
aeon's default train/test split, read with ``data_format="channels_first"``:
GunPoint, ItalyPowerDemand, ACSF1 (1,460 steps) and PickupGestureWiimoteZ
(unequal lengths: the list goes to skneural as it is; MiniRocket needs the
series zero-padded to one length first). Every fit uses the estimator's
defaults except ``random_state``; extra parameters can be given as JSON to
compare settings. Prints, per set, skneural's test accuracy per seed, its
mean and range and median fit time, and MiniRocket's beside it (same seeds).

Target (issue #12): the default classifier within 0.03 of MiniRocket on
each set.

Usage::

    pip install ".[examples]"
    python benchmarks/bench_ucr.py [--seeds 0 1 2 3 4] [--sets GunPoint]
        [--params '{"conv_filters": null}'] [--no-minirocket]
"""

import argparse
import json
import statistics
import time

import numpy as np
from aeon.datasets import load_classification

from skneural import LSTMSequenceClassifier

SETS = ["GunPoint", "ItalyPowerDemand", "ACSF1", "PickupGestureWiimoteZ"]


def padded(X, length=None):
    """A list of (channels, length_i) series as one zero-padded array."""
    if isinstance(X, np.ndarray):
        return X
    length = length or max(x.shape[-1] for x in X)
    out = np.zeros((len(X), X[0].shape[0], length))
    for i, x in enumerate(X):
        out[i, :, : min(length, x.shape[-1])] = x[:, :length]
    return out


def minirocket(X_train, y_train, X_test, y_test, seed):
    from aeon.classification.convolution_based import MiniRocketClassifier

    length = max(x.shape[-1] for x in list(X_train))
    start = time.perf_counter()
    clf = MiniRocketClassifier(random_state=seed).fit(padded(X_train), y_train)
    seconds = time.perf_counter() - start
    return clf.score(padded(X_test, length), y_test), seconds


def summary(scores, seconds):
    return (
        f"{np.mean(scores):.3f} ({min(scores):.3f}-{max(scores):.3f}), "
        f"fit {statistics.median(seconds):.1f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--sets", nargs="+", default=SETS)
    parser.add_argument("--params", default="{}", help="JSON of extra parameters")
    parser.add_argument("--no-minirocket", action="store_true")
    args = parser.parse_args()
    params = json.loads(args.params)
    rows = []
    for name in args.sets:
        X_train, y_train = load_classification(name, split="train")
        X_test, y_test = load_classification(name, split="test")
        ours, ours_s, theirs, theirs_s = [], [], [], []
        for seed in args.seeds:
            start = time.perf_counter()
            clf = LSTMSequenceClassifier(
                **{"data_format": "channels_first", "random_state": seed, **params}
            ).fit(X_train, y_train)
            ours_s.append(time.perf_counter() - start)
            ours.append(clf.score(X_test, y_test))
            line = (
                f"{name} seed {seed}: skneural {ours[-1]:.3f} "
                f"({clf.n_iter_} epochs, {ours_s[-1]:.1f} s)"
            )
            if not args.no_minirocket:
                score, seconds = minirocket(X_train, y_train, X_test, y_test, seed)
                theirs.append(score)
                theirs_s.append(seconds)
                line += f", MiniRocket {score:.3f} ({seconds:.1f} s)"
            print(line, flush=True)
        rows.append((name, summary(ours, ours_s), theirs and summary(theirs, theirs_s)))
    print(f"\nseeds {args.seeds} {params or ''}")
    print("| set | LSTMSequenceClassifier | MiniRocket |")
    print("|---|---|---|")
    for name, a, b in rows:
        print(f"| {name} | {a} | {b or '-'} |")


if __name__ == "__main__":
    main()
