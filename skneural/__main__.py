"""Command line: ``python -m skneural demo`` (also the ``skneural`` script)."""

import argparse
import os
import sys
import time


def _progress_callback(name, every):
    """A Keras callback printing one line every ``every`` epochs."""
    import keras

    class Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if (epoch + 1) % every == 0:
                shown = ", ".join(
                    f"{k}={v:.4f}" for k, v in sorted(logs.items()) if "loss" in k
                )
                print(f"    {name}: epoch {epoch + 1}: {shown}", flush=True)

    return Progress()


def demo_tasks(quick=False):
    """The demo's tasks: (estimator, dataset, factory, loader, metric, scorer).

    ``factory(callback)`` makes the estimator, ``loader()`` returns
    ``X_train, X_test, y_train, y_test`` and ``scorer(est, X, y)`` the
    test figure.
    """
    from sklearn.metrics import roc_auc_score

    from . import datasets
    from ._autoencoder import AutoencoderAnomalyDetector, AutoencoderTransformer
    from ._cnn import CNNClassifier
    from ._recurrent import BiLSTMTagger, LSTMSequenceClassifier

    epochs = 5 if quick else 200

    def digits_scaled():
        X_train, X_test, y_train, y_test = datasets.digits_split()
        flat = (X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1))
        return flat[0] / 16.0, flat[1] / 16.0, y_train, y_test

    def long_dependency():
        X, y = datasets.make_long_dependency(600, length=40, random_state=0)
        return X[:400], X[400:], y[:400], y[400:]

    def lookahead_tags():
        X, y = datasets.make_lookahead_tagging(600, random_state=0)
        return X[:400], X[400:], y[:400], y[400:]

    def wbc_all():
        X, y = datasets.load_wbc()
        return X, X, y, y  # unsupervised: scored on the rows it was fit on

    return [
        (
            "CNNClassifier",
            "sklearn digits (8x8 images)",
            lambda cb: CNNClassifier(
                image_shape=(8, 8), random_state=0, callbacks=[cb], epochs=epochs
            ),
            datasets.digits_split,
            "accuracy",
            lambda est, X, y: est.score(X, y),
        ),
        (
            "AutoencoderTransformer",
            "digits, 64 -> 10 codes",
            lambda cb: AutoencoderTransformer(
                n_components=10, random_state=0, callbacks=[cb], epochs=epochs
            ),
            digits_scaled,
            "reconstruction MSE",
            lambda est, X, y: -est.score(X),
        ),
        (
            "AutoencoderAnomalyDetector",
            "ODDS wbc (378 rows, 21 outliers)",
            lambda cb: AutoencoderAnomalyDetector(
                random_state=0, callbacks=[cb], epochs=epochs
            ),
            wbc_all,
            "ROC-AUC",
            lambda est, X, y: roc_auc_score(y, -est.score_samples(X)),
        ),
        (
            "LSTMSequenceClassifier",
            "class set by the first 3 of 40 steps",
            lambda cb: LSTMSequenceClassifier(
                units=32, random_state=0, callbacks=[cb], epochs=epochs
            ),
            long_dependency,
            "accuracy",
            lambda est, X, y: est.score(X, y),
        ),
        (
            "BiLSTMTagger",
            "tags that depend on the next word",
            lambda cb: BiLSTMTagger(random_state=0, callbacks=[cb], epochs=epochs),
            lookahead_tags,
            "token accuracy",
            lambda est, X, y: est.score(X, y),
        ),
    ]


def run_demo(quick=False, out=sys.stdout):
    """Train every estimator on shipped data and print a results table."""
    rows = []
    tasks = demo_tasks(quick)
    for i, (name, data_name, make, load, metric, scorer) in enumerate(tasks, 1):
        X_train, X_test, y_train, y_test = load()
        print(
            f"[{i}/{len(tasks)}] {name} on {data_name}: "
            f"{len(X_train)} train / {len(X_test)} test samples",
            file=out,
            flush=True,
        )
        est = make(_progress_callback(name, every=10))
        start = time.perf_counter()
        est.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        score = scorer(est, X_test, y_test)
        print(
            f"    done: {est.n_iter_} epochs in {fit_time:.1f} s, "
            f"test {metric} {score:.4f}",
            file=out,
            flush=True,
        )
        rows.append((name, data_name, metric, score, fit_time))

    header = ("estimator", "dataset", "metric", "score", "fit time (s)")
    table = [header] + [(r[0], r[1], r[2], f"{r[3]:.4f}", f"{r[4]:.1f}") for r in rows]
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    print(file=out)
    for j, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)), file=out)
        if j == 0:
            print("  ".join("-" * w for w in widths), file=out)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skneural", description="skneural: neural networks for scikit-learn"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train each estimator on shipped data")
    demo.add_argument(
        "--quick", action="store_true", help="a few epochs only (smoke run)"
    )
    args = parser.parse_args(argv)
    # The command line's own choice (a library must not touch the user's
    # environment): hide TensorFlow's C++ start-up notices.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.command == "demo":
        run_demo(quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
