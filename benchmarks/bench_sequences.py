"""One long sequence among short ones: what it costs a sequence model's fit.

Before batches were padded per batch, one 10,000-step sequence among 40
short ones made ``LSTMSequenceClassifier.fit`` take 8.7 s against 1.7 s with
that sequence cut to 8 steps: every batch was padded to 10,000 steps. Now
batches are grouped by length and padded to their own longest sequence, so
the long sequence slows only its own batch.

Measured here (2 cores, TF 2.21; ``--epochs 5``): before per-batch padding
(commit 1ea8aad) the LSTM took 20.4 s with the long sequence against 1.2 s
without (ratio 16.4), the tagger 18.5 s against 3.1 s (6.0); with it 4.9 s
against 1.6 s (3.1) and 5.7 s against 3.3 s (1.7). What remains is the long
sequence's own batch, read step by step every epoch.

Prints, for the classifier and the tagger, the fit time with the long
sequence, with it cut short, and their ratio (each the median of 3 fits,
after one warm-up fit; in one process so both share the machine's noise).

Usage::

    python benchmarks/bench_sequences.py [--long 10000] [--epochs 20]
"""

import argparse
import statistics
import time

import numpy as np


def fit_time(make, X, y, repeats=3):
    make().fit(X, y)  # warm-up: imports and first traces
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        make().fit(X, y)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    from skneural import BiLSTMTagger, LSTMSequenceClassifier

    rng = np.random.RandomState(0)
    short = [rng.normal(size=(rng.randint(4, 9), 2)) for _ in range(40)]
    labels = np.array([int(s[0, 0] > 0) for s in short] + [1])
    long_seq = rng.normal(size=(args.long, 2))
    rows = []

    def lstm():
        return LSTMSequenceClassifier(
            units=16, epochs=args.epochs, batch_size=8, random_state=0
        )

    with_long = fit_time(lstm, [*short, long_seq], labels)
    cut = fit_time(lstm, [*short, long_seq[:8]], labels)
    rows.append(("LSTMSequenceClassifier", with_long, cut))

    words = [f"w{i}" for i in range(50)]
    sentences = [
        [words[i] for i in rng.randint(50, size=rng.randint(3, 9))] for _ in range(40)
    ]
    long_sentence = [words[i] for i in rng.randint(50, size=args.long // 10)]
    tags = [[w[-1] for w in s] for s in [*sentences, long_sentence]]

    def tagger():
        return BiLSTMTagger(units=16, epochs=args.epochs, batch_size=8, random_state=0)

    with_long = fit_time(tagger, [*sentences, long_sentence], tags)
    cut_tags = [*tags[:-1], tags[-1][:8]]
    cut = fit_time(tagger, [*sentences, long_sentence[:8]], cut_tags)
    rows.append((f"BiLSTMTagger ({args.long // 10}-token sentence)", with_long, cut))

    print(
        f"fit time, 40 short sequences plus one of {args.long} steps "
        f"({args.epochs} epochs, batch 8; median of 3)"
    )
    print(f"{'':44}{'with long':>10}{'cut to 8':>10}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:44}{a:9.2f}s{b:9.2f}s{a / b:8.2f}")


if __name__ == "__main__":
    main()
