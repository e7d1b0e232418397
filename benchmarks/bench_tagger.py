"""BiLSTMTagger (softmax and CRF) against sklearn-crfsuite on a NER corpus.

Data: the ``hironsancorpus`` package's Japanese news NER corpus in IOB2
(450 training / 50 test sentences). sklearn-crfsuite gets the standard word
features (lowercase form, prefixes and suffixes, shape, neighbouring words);
the BiLSTM taggers get the tokens only (word embeddings, a character CNN,
token shapes), and optionally word vectors trained by gensim's Word2Vec on
the corpus' sentences as unlabeled text. Prints entity-level F1 (micro,
exact spans), token accuracy and fit time per seed, then each tagger's mean
and range over the seeds.

Usage::

    pip install ".[examples]"
    python benchmarks/bench_tagger.py [--seeds 0 1 2 3 4] [--configs default softmax]
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


def word2vec(sentences, seed):
    """Word vectors trained on unlabeled sentences (gensim's Word2Vec)."""
    from gensim.models import Word2Vec

    model = Word2Vec(
        sentences, vector_size=50, window=3, min_count=1, sg=1, epochs=50,
        workers=1, seed=seed,
    )  # fmt: skip
    return model.wv


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["default", "softmax", "word-vectors"],
        help="default: BiLSTMTagger(); softmax: crf=False; word-vectors: "
        "word_vectors= from Word2Vec on the corpus' train and test sentences "
        "as unlabeled text (needs gensim)",
    )
    args = parser.parse_args()

    X_train, y_train = load_hironsan_ner("train")
    X_test, y_test = load_hironsan_ner("test")
    print(
        f"hironsan NER: {len(X_train)} train / {len(X_test)} test sentences, "
        f"{sum(map(len, X_train))} / {sum(map(len, X_test))} tokens"
    )
    # Keras (and TensorFlow) imported before any timing: fit times are fits
    BiLSTMTagger(units=4, epochs=1).fit(X_train[:4], y_train[:4])

    t = time.perf_counter()
    pred = crfsuite(X_train, y_train, X_test)
    crf_seconds = time.perf_counter() - t
    p, r, crf_f1 = entity_precision_recall_f1(y_test, pred)
    acc = token_accuracy(y_test, pred)
    header = ("P", "R", "F1", "token acc", "fit s")
    print(f"\n{'tagger':34s} {'seed':>4s} " + " ".join(f"{h:>6s}" for h in header))
    print(f"{'sklearn-crfsuite (word features)':34s} {'':4s} "
          f"{p:6.3f} {r:6.3f} {crf_f1:6.3f} {acc:9.3f} {crf_seconds:6.1f}")  # fmt: skip
    summary = []
    for config in args.configs:
        f1s, accs, times = [], [], []
        for seed in args.seeds:
            params = {"random_state": seed}
            if config == "softmax":
                params["crf"] = False
            elif config == "word-vectors":
                params["word_vectors"] = word2vec(X_train + X_test, seed)
            t = time.perf_counter()
            tagger = BiLSTMTagger(**params).fit(X_train, y_train)
            times.append(time.perf_counter() - t)
            pred = tagger.predict(X_test)
            p, r, f = entity_precision_recall_f1(y_test, pred)
            f1s.append(f)
            accs.append(token_accuracy(y_test, pred))
            print(f"{'BiLSTMTagger ' + config:34s} {seed:4d} {p:6.3f} {r:6.3f} "
                  f"{f:6.3f} {accs[-1]:9.3f} {times[-1]:6.1f}", flush=True)  # fmt: skip
        summary.append((config, f1s, accs, times))
    print(f"\nover seeds {args.seeds}: mean [min, max]")
    print(f"sklearn-crfsuite: entity F1 {crf_f1:.3f}, fit {crf_seconds:.1f} s")
    for config, f1s, accs, times in summary:
        print(
            f"BiLSTMTagger {config}: entity F1 {np.mean(f1s):.3f} "
            f"[{min(f1s):.3f}, {max(f1s):.3f}], token acc {np.mean(accs):.3f}, "
            f"fit {np.mean(times):.1f} s [{min(times):.1f}, {max(times):.1f}]"
        )


if __name__ == "__main__":
    main()
