"""NeuralRegressor with defaults against MLPRegressor and gradient boosting.

Prints held-out R² (mean, min and max over the seeds; each seed is its own
train/test split and the estimators' ``random_state``) and the median fit
time, for:

- ``load_diabetes`` (442 rows, 10 features; target in its own units);
- ``make_friedman1`` (2,000 rows, 10 features, noise 1.0).

Every estimator runs with its defaults; MLPRegressor also in the setting a
careful user would pick (``StandardScaler`` in front, ``max_iter=2000``,
``early_stopping=True``), since its defaults stop at 200 iterations
unconverged and it does not scale its inputs or targets.

Usage::

    python benchmarks/bench_regressor.py [--seeds 5]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skneural import NeuralRegressor


def estimators(seed):
    return {
        "NeuralRegressor()": NeuralRegressor(random_state=seed),
        "MLPRegressor()": MLPRegressor(random_state=seed),
        "scaled MLPRegressor(max_iter=2000, es)": make_pipeline(
            StandardScaler(),
            MLPRegressor(max_iter=2000, early_stopping=True, random_state=seed),
        ),
        "HistGradientBoostingRegressor()": HistGradientBoostingRegressor(
            random_state=seed
        ),
    }


def datasets():
    yield "diabetes", load_diabetes(return_X_y=True)
    yield "friedman1", make_friedman1(n_samples=2000, noise=1.0, random_state=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print("| data | estimator | R² mean | R² min-max | fit s (median) |")
    print("|---|---|---|---|---|")
    for data, (X, y) in datasets():
        scores, times = {}, {}
        for seed in range(args.seeds):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.25, random_state=seed
            )
            for name, est in estimators(seed).items():
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    est.fit(X_tr, y_tr)
                times.setdefault(name, []).append(time.perf_counter() - start)
                scores.setdefault(name, []).append(est.score(X_te, y_te))
        for name in scores:
            s = np.array(scores[name])
            print(
                f"| {data} | {name} | {s.mean():.3f} | {s.min():.3f}-{s.max():.3f} "
                f"| {statistics.median(times[name]):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
