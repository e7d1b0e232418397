"""BiLSTMTagger (softmax and CRF) against sklearn-crfsuite on a NER corpus.

Data: the ``hironsancorpus`` package's Japanese news NER corpus in IOB2
(450 training / 50 test sentences). sklearn-crfsuite gets the standard word
features (lowercase form, prefixes and suffixes, shape, neighbouring words);
the BiLSTM taggers get the tokens only (word embeddings + a character CNN).
Prints entity-level F1 (micro, exact spans) and token accuracy.

Usage::

    pip install ".[examples]"
    python benchmarks/bench_tagger.py [--seeds 0 1 2]
"""

import argparse
import time

import numpy as np

from skneural import BiLSTMTagger
from skneural.datasets import load_hironsan_ner
from skneural.metrics import entity_precision_recall_f1, token_accuracy


def shape(token):
    if token.isdigit():
        return "digit"
    if token.isupper():
        return "upper"
    if token[:1].isupper():
        return "title"
    if token.isalpha():
        return "alpha"
    return "other"


def word_features(sentence, i):
    """Standard CRF features for token ``i``."""
    w = sentence[i]
    feats = {
        "bias": 1.0,
        "lower": w.lower(),
        "prefix1": w[:1],
        "prefix2": w[:2],
        "suffix1": w[-1:],
        "suffix2": w[-2:],
        "suffix3": w[-3:],
        "shape": shape(w),
        "length": min(len(w), 8),
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < len(sentence):
            feats[f"{offset}:lower"] = sentence[j].lower()
            feats[f"{offset}:shape"] = shape(sentence[j])
        else:
            feats[f"{offset}:edge"] = True
    return feats


def crfsuite(X_train, y_train, X_test):
    import sklearn_crfsuite

    def featurize(X):
        return [[word_features(s, i) for i in range(len(s))] for s in X]

    crf = sklearn_crfsuite.CRF(
        algorithm="lbfgs",
        c1=0.1,
        c2=0.1,
        max_iterations=200,
        all_possible_transitions=True,
    )
    crf.fit(featurize(X_train), y_train)
    return crf.predict(featurize(X_test))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()

    X_train, y_train = load_hironsan_ner("train")
    X_test, y_test = load_hironsan_ner("test")
    print(
        f"hironsan NER: {len(X_train)} train / {len(X_test)} test sentences, "
        f"{sum(map(len, X_train))} / {sum(map(len, X_test))} tokens"
    )
    rows = []
    t = time.perf_counter()
    pred = crfsuite(X_train, y_train, X_test)
    rows.append(("sklearn-crfsuite (word features)", pred, time.perf_counter() - t))
    for crf in (False, True):
        preds, seconds = [], 0.0
        for seed in args.seeds:
            t = time.perf_counter()
            tagger = BiLSTMTagger(crf=crf, random_state=seed).fit(X_train, y_train)
            seconds += time.perf_counter() - t
            preds.append(tagger.predict(X_test))
        name = f"BiLSTMTagger({'crf=True' if crf else 'softmax'})"
        rows.extend(
            (f"{name} seed {s}", p, seconds / len(args.seeds))
            for s, p in zip(args.seeds, preds)
        )

    header = ("P", "R", "F1", "token acc", "fit s")
    print(f"\n{'tagger':40s} " + " ".join(f"{h:>6s}" for h in header))
    for name, pred, seconds in rows:
        p, r, f = entity_precision_recall_f1(y_test, pred)
        acc = token_accuracy(y_test, pred)
        print(f"{name:40s} {p:6.3f} {r:6.3f} {f:6.3f} {acc:9.3f} {seconds:6.1f}")
    f1s = {name: entity_precision_recall_f1(y_test, pred)[2] for name, pred, _ in rows}
    for kind in ("softmax", "crf=True"):
        vals = [v for k, v in f1s.items() if kind in k]
        print(f"mean entity F1, BiLSTMTagger({kind}): {np.mean(vals):.3f}")


if __name__ == "__main__":
    main()
