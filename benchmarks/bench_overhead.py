"""skneural's overhead against raw Keras on the identical network and data.

Prints, for the Keras backend in use:

- wall time of 20 small fits (skneural vs the same network built and fitted
  with Keras directly), and the ratio (target <= 1.05);
- one-row predict latency, median of 50 calls (target <= 2 ms and >= 50x
  faster than ``model.predict``);
- batch predict throughput on 20,000 rows;
- resident memory growth per fit over 50 consecutive fits, each library in a
  fresh subprocess (target: no worse than raw Keras; aim < 0.5 MB per fit);
- ``import skneural`` against ``import sklearn.base`` in fresh subprocesses
  (target ratio <= 1.25);
- resident memory growth per fit for every estimator (small fits of each,
  each estimator in a fresh subprocess; bound 1 MB per fit, aim 0.5).

Where JAX or torch is installed, the same figures are reported for that
backend (a subprocess with ``KERAS_BACKEND`` set).

Usage::

    python benchmarks/bench_overhead.py [--fits 20] [--mem-fits 50]
    python benchmarks/bench_overhead.py --estimators-only   # the last table
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

NET = dict(filters=(8,), dense_units=(32,), dropout=0.25)
EPOCHS = 5
BATCH = 32


def data(n=300):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:n].astype(np.float32), y[:n]


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def skneural_fit(X, y, seed=0):
    from skneural import CNNClassifier

    return CNNClassifier(
        image_shape=(8, 8),
        epochs=EPOCHS,
        batch_size=BATCH,
        early_stopping=False,
        random_state=seed,
        **NET,
    ).fit(X, y)


def keras_fit(X, y, seed=0):
    """What a Keras user writes for the same network and training."""
    import keras

    from skneural.architectures import build_cnn

    keras.utils.set_random_seed(seed)
    images = X.reshape(-1, 8, 8, 1)
    model = build_cnn(
        (8, 8, 1),
        10,
        mean=images.mean(axis=(0, 1, 2)),
        variance=images.var(axis=(0, 1, 2)),
        **NET,
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(images, y, epochs=EPOCHS, batch_size=BATCH, verbose=0)
    return model


def time_fits(fit, X, y, n):
    start = time.perf_counter()
    for i in range(n):
        fit(X, y, seed=i)
    return time.perf_counter() - start


def median_ms(fn, n=50):
    fn()  # warm up (traces once)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def _sequences(n=200):
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(rng.randint(4, 12), 2)) for _ in range(n)]
    return X, [int(s[0, 0] > 0) for s in X]


def estimator_fit(name):
    """``fit(X, y, seed)`` for a small fit of estimator ``name`` and its data."""
    import skneural
    from skneural.datasets import make_lookahead_tagging

    small = dict(epochs=EPOCHS, batch_size=BATCH, early_stopping=False)
    make, (X, y) = {
        "CNNClassifier": (
            lambda s: skneural.CNNClassifier(image_shape=(8, 8), random_state=s, **NET),
            data(),
        ),
        "AutoencoderTransformer": (
            lambda s: skneural.AutoencoderTransformer(
                n_components=4, hidden_layer_sizes=(32,), random_state=s
            ),
            (data()[0], None),
        ),
        "AutoencoderAnomalyDetector": (
            lambda s: skneural.AutoencoderAnomalyDetector(
                hidden_layer_sizes=(32,), random_state=s
            ),
            (data()[0], None),
        ),
        "LSTMSequenceClassifier": (
            lambda s: skneural.LSTMSequenceClassifier(units=16, random_state=s),
            _sequences(),
        ),
        "BiLSTMTagger": (
            lambda s: skneural.BiLSTMTagger(units=16, random_state=s),
            make_lookahead_tagging(100, random_state=0),
        ),
    }[name]

    def fit(_X, _y, seed=0):
        return make(seed).set_params(**small).fit(X, y)

    return fit


ESTIMATORS = [
    "CNNClassifier",
    "AutoencoderTransformer",
    "AutoencoderAnomalyDetector",
    "LSTMSequenceClassifier",
    "BiLSTMTagger",
]


def memory_child(which, n_fits):
    """Run in a subprocess: RSS growth per fit over ``n_fits`` fits."""
    import gc

    X, y = data()
    if which == "skneural":
        fit = skneural_fit
    elif which == "keras":
        fit = keras_fit
    else:
        fit = estimator_fit(which)
    for i in range(5):  # warm-up: first fits load kernels and caches
        fit(X, y, seed=i)
    gc.collect()
    before = rss_mb()
    for i in range(n_fits):
        fit(X, y, seed=i)
    gc.collect()
    return (rss_mb() - before) / n_fits


def import_times(repeats=5):
    def one(stmt):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import time; t = time.perf_counter(); {stmt}; "
                "print(time.perf_counter() - t)",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])

    sk = statistics.median(one("import sklearn.base") for _ in range(repeats))
    ours = statistics.median(one("import skneural") for _ in range(repeats))
    return ours, sk


def run_child(args_list, env=None):
    out = subprocess.run(
        [sys.executable, __file__, *args_list],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n_fits, mem_fits):
    """All figures for the current backend, as a dict."""
    import keras

    from skneural import CNNClassifier  # noqa: F401

    X, y = data()
    res = {"backend": keras.backend.backend()}

    # Warm both paths once so neither pays first-use costs in the timing.
    est = skneural_fit(X, y)
    model = keras_fit(X, y)
    # Interleave the two to share the machine's noise.
    t_sk = t_keras = 0.0
    for _ in range(2):
        t_sk += time_fits(skneural_fit, X, y, n_fits // 2)
        t_keras += time_fits(keras_fit, X, y, n_fits // 2)
    res["fit_s_skneural"], res["fit_s_keras"] = t_sk, t_keras

    # One larger fit: 20,000 rows (625 steps per epoch), where per-step
    # overhead rather than tracing would show.
    X_big, y_big = np.tile(X, (67, 1))[:20000], np.tile(y, 67)[:20000]
    res["bigfit_s_skneural"] = time_fits(skneural_fit, X_big, y_big, 1)
    res["bigfit_s_keras"] = time_fits(keras_fit, X_big, y_big, 1)

    x1 = X[:1]
    img1 = x1.reshape(1, 8, 8, 1)
    res["predict1_ms_skneural"] = median_ms(lambda: est.predict_proba(x1))
    res["predict1_ms_keras_predict"] = median_ms(
        lambda: model.predict(img1, verbose=0), n=20
    )
    res["predict1_ms_keras_call"] = median_ms(lambda: model(img1, training=False))

    big = np.tile(X, (20000 // len(X) + 1, 1))[:20000]
    big_img = big.reshape(-1, 8, 8, 1)
    est.predict_proba(big)
    model.predict(big_img, verbose=0)
    t = time.perf_counter()
    est.predict_proba(big)
    res["batch_rows_per_s_skneural"] = len(big) / (time.perf_counter() - t)
    t = time.perf_counter()
    model.predict(big_img, verbose=0)
    res["batch_rows_per_s_keras"] = len(big) / (time.perf_counter() - t)

    env = dict(os.environ)
    res["mem_mb_per_fit_skneural"] = run_child(
        ["--memory-child", "skneural", str(mem_fits)], env
    )
    res["mem_mb_per_fit_keras"] = run_child(
        ["--memory-child", "keras", str(mem_fits)], env
    )
    return res


def estimator_memory(mem_fits, env=None):
    """MB per fit for every estimator, each in a fresh subprocess."""
    return {
        name: run_child(["--memory-child", name, str(mem_fits)], env)
        for name in ESTIMATORS
    }


def report_estimator_memory(backend, figures, mem_fits):
    print(
        f"\nMemory growth per fit by estimator, {backend} backend "
        f"({mem_fits} fits of {EPOCHS} epochs after 5 warm-up fits; bound 1 MB, "
        "aim 0.5)"
    )
    for name, mb in figures.items():
        flag = "  OVER THE BOUND" if mb > 1 else ""
        print(f"  {name.ljust(28)}{mb:6.2f} MB{flag}")


def report(res, import_s=None):
    fit_ratio = res["fit_s_skneural"] / res["fit_s_keras"]
    speedup = res["predict1_ms_keras_predict"] / res["predict1_ms_skneural"]
    batch_ratio = res["batch_rows_per_s_skneural"] / res["batch_rows_per_s_keras"]
    rows = [
        (
            "fit, total of small fits (s)",
            f"{res['fit_s_skneural']:.2f}",
            f"{res['fit_s_keras']:.2f}",
            f"ratio {fit_ratio:.2f} (target <= 1.05)",
        ),
        (
            "fit, 20,000 rows (s)",
            f"{res['bigfit_s_skneural']:.2f}",
            f"{res['bigfit_s_keras']:.2f}",
            f"ratio {res['bigfit_s_skneural'] / res['bigfit_s_keras']:.2f}",
        ),
        (
            "one-row predict (ms, median)",
            f"{res['predict1_ms_skneural']:.2f}",
            f"{res['predict1_ms_keras_predict']:.1f}",
            f"{speedup:.0f}x faster than model.predict (target >= 50x, <= 2 ms); "
            f"direct model call {res['predict1_ms_keras_call']:.2f} ms",
        ),
        (
            "batch predict, 20,000 rows (rows/s)",
            f"{res['batch_rows_per_s_skneural']:,.0f}",
            f"{res['batch_rows_per_s_keras']:,.0f}",
            f"ratio {batch_ratio:.2f}",
        ),
        (
            "memory growth per fit (MB)",
            f"{res['mem_mb_per_fit_skneural']:.2f}",
            f"{res['mem_mb_per_fit_keras']:.2f}",
            "target: <= raw Keras, aim < 0.5",
        ),
    ]
    if import_s is not None:
        ours, sk = import_s
        rows.append(
            (
                "import time (s): skneural vs sklearn.base",
                f"{ours:.2f}",
                f"{sk:.2f}",
                f"ratio {ours / sk:.2f} (target <= 1.25)",
            )
        )
    header = ("", "skneural", "raw Keras", "")
    table = [header] + rows
    widths = [max(len(r[c]) for r in table) for c in range(3)]
    print(f"\nKeras backend: {res['backend']}")
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=20)
    parser.add_argument("--mem-fits", type=int, default=50)
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--measure-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--estimators-only",
        action="store_true",
        help="only the memory growth per fit of every estimator",
    )
    args = parser.parse_args()

    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child[0], int(args.memory_child[1]))))
        return
    if args.measure_child:
        print(json.dumps(measure(args.fits, args.mem_fits)))
        return

    backends = [("tensorflow", None)]
    for backend, module in (("jax", "jax"), ("torch", "torch")):
        if importlib.util.find_spec(module) is not None:
            backends.append((backend, {**os.environ, "KERAS_BACKEND": backend}))
    if args.estimators_only:
        for backend, env in backends:
            figures = estimator_memory(args.mem_fits, env)
            report_estimator_memory(backend, figures, args.mem_fits)
        return

    print(
        f"{args.fits} fits of a small CNN ({EPOCHS} epochs, batch {BATCH}, "
        f"300 digits); memory over {args.mem_fits} fits"
    )
    import_s = import_times()
    child_args = ["--measure-child", "--fits", str(args.fits)]
    child_args += ["--mem-fits", str(args.mem_fits)]
    # Each backend in its own process: Keras's backend is fixed at import.
    results = [run_child(child_args)]
    for backend, module in (("jax", "jax"), ("torch", "torch")):
        if importlib.util.find_spec(module) is not None:
            env = {**os.environ, "KERAS_BACKEND": backend}
            try:
                results.append(run_child(child_args, env))
            except RuntimeError as exc:
                print(f"{backend} backend failed: {exc}")
    for i, res in enumerate(results):
        report(res, import_s if i == 0 else None)
    for backend, env in backends:
        report_estimator_memory(
            backend, estimator_memory(args.mem_fits, env), args.mem_fits
        )


if __name__ == "__main__":
    main()
