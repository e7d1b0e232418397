"""Searches over a rate that skneural reads from a variable: traced once.

A search over ``learning_rate``, ``dropout``, ``recurrent_dropout`` or an
autoencoder's ``noise`` fits one architecture again and again with another
value of a setting that a network could bake into its traced steps as a
constant. skneural's layers (and Keras's optimizer, for the learning rate)
read these from variables instead, so every candidate trains on one traced
network (a *shell*, see ``skneural/_shells.py``). This script times each
search two ways in one process (so both share the machine's noise):

- ``traced once``: as skneural runs it;
- ``each value traced``: the same search with the traced networks dropped
  whenever a fit's value differs from the previous fit's, as when the value
  was a constant of the trace (the folds of one candidate still share it).

The searches: 4 values x 3 folds, ``refit=False``, ``epochs=5``,
``random_state=0``; ``LSTMSequenceClassifier`` on the training set of
ItalyPowerDemand (UCR, from the ``aeon`` wheel, offline) over ``dropout``
and over ``recurrent_dropout``; ``AutoencoderTransformer(n_components=8)``
over ``noise`` on the digits. Prints each search's seconds both ways, their
ratio, and whether the scores are equal.

Usage::

    pip install ".[examples]"
    python benchmarks/bench_search_traces.py [--repeats 2]
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skneural import AutoencoderTransformer, LSTMSequenceClassifier, _shells

VALUES = [0.1, 0.2, 0.3, 0.4]


def load(name):
    """``(X, y)``: the digits (no labels), or a UCR set's training split,
    as ``(n, channels, steps)`` (read with ``data_format="channels_first"``)."""
    if name == "digits":
        return load_digits(return_X_y=True)[0], None
    from aeon.datasets import load_classification

    return load_classification(name, split="train")


LSTM = {"data_format": "channels_first"}
SEARCHES = [  # label, estimator, its parameters, the setting searched, data
    ("LSTM dropout", LSTMSequenceClassifier, LSTM, "dropout", "ItalyPowerDemand"),
    (
        "LSTM recurrent_dropout",
        LSTMSequenceClassifier,
        LSTM,
        "recurrent_dropout",
        "ItalyPowerDemand",
    ),
    (
        "autoencoder noise",
        AutoencoderTransformer,
        {"n_components": 8},
        "noise",
        "digits",
    ),
]


def each_value_traced(cls, setting):
    """``cls`` whose fits drop the traced networks when ``setting`` changes."""
    last = []

    class EachValueTraced(cls):
        def fit(self, X, y=None, **kwargs):
            value = getattr(self, setting)
            if last and last[-1] != value:
                _shells.clear()
            last.append(value)
            return super().fit(X, y, **kwargs)

    EachValueTraced.__name__ = cls.__name__  # (sklearn's repr and tags)
    return EachValueTraced


def search(cls, params, setting, X, y):
    _shells.clear()
    est = cls(epochs=5, random_state=0, **params)
    start = time.perf_counter()
    result = GridSearchCV(est, {setting: VALUES}, cv=3, refit=False).fit(X, y)
    return time.perf_counter() - start, result.cv_results_["mean_test_score"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(f"{'search':<24}{'data':<18}{'each value traced':>18}{'traced once':>13}")
    for label, cls, params, setting, name in SEARCHES:
        X, y = load(name)
        cls(epochs=1, random_state=0, **params).fit(X, y)  # imports, warm-up
        for _ in range(args.repeats):
            anew, anew_scores = search(
                each_value_traced(cls, setting), params, setting, X, y
            )
            once, once_scores = search(cls, params, setting, X, y)
            print(
                f"{label:<24}{name:<18}{anew:17.1f}s{once:12.1f}s"
                f"  {once / anew:.2f}x  scores equal: "
                f"{np.array_equal(anew_scores, once_scores)}"
            )


if __name__ == "__main__":
    main()
