"""LSTMSequenceClassifier with default settings on UCR sets, over seeds.

Data: GunPoint and ItalyPowerDemand from the ``aeon`` wheel, aeon's default
train/test split, read with ``data_format="channels_first"``. Every fit uses
the estimator's defaults except ``random_state``; extra parameters can be
given as JSON to compare settings. Prints test (and training) accuracy per
seed, the range and the mean, and the fit time.

Usage::

    pip install ".[examples]"
    python benchmarks/bench_ucr.py [--seeds 0 1 2] [--params '{"frame_length": 1}']
"""

import argparse
import json
import time

import numpy as np
from aeon.datasets import load_classification

from skneural import LSTMSequenceClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--sets", nargs="+", default=["GunPoint", "ItalyPowerDemand"])
    parser.add_argument("--params", default="{}", help="JSON of extra parameters")
    args = parser.parse_args()
    params = json.loads(args.params)
    for name in args.sets:
        X_train, y_train = load_classification(name, split="train")
        X_test, y_test = load_classification(name, split="test")
        test_scores = []
        for seed in args.seeds:
            start = time.perf_counter()
            clf = LSTMSequenceClassifier(
                **{"data_format": "channels_first", "random_state": seed, **params}
            ).fit(X_train, y_train)
            seconds = time.perf_counter() - start
            test_scores.append(clf.score(X_test, y_test))
            print(
                f"{name} seed {seed}: test {test_scores[-1]:.3f}, "
                f"train {clf.score(X_train, y_train):.3f}, "
                f"{clf.n_iter_} epochs, {seconds:.1f} s"
            )
        print(
            f"{name}: test accuracy {min(test_scores):.3f} to "
            f"{max(test_scores):.3f}, mean {np.mean(test_scores):.3f} "
            f"over {len(test_scores)} seeds {params or ''}\n"
        )


if __name__ == "__main__":
    main()
