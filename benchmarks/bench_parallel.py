"""A hyperparameter search run serially, with ``n_jobs=2``, and on Dask.

The search of the search-at-scale issue: 8 candidates x 3 folds of
``CNNClassifier(image_shape=(8, 8), epochs=5)`` on the digits (1,797 rows),
``refit=False``. Prints one table (wall time of each way, its ratio to the
serial search, and whether its scores equal the serial ones exactly):

- ``n_jobs=1``: in this process, TensorFlow already imported (as for a user
  who ran anything before); then again, every network traced already;
- ``n_jobs=2``: joblib's process workers (loky), started fresh for the run,
  so their imports and first traces are included (target: <= 0.8x serial);
  then the same search again on the same workers, which joblib keeps
  between searches (a session's second search: imported and traced);
- ``n_jobs=2`` in two threads of this process (joblib's ``"threading"``
  backend), the traced networks of the serial runs dropped first;
- Dask: a ``distributed.LocalCluster`` of 2 process workers with one thread
  each, through ``joblib.parallel_backend("dask")``; the cluster's start-up
  is timed apart, the workers' imports are included.

``--ray`` adds Ray's joblib backend (``ray.util.joblib``) on a local Ray
of 2 CPUs, where ``ray`` is installed (it is not a dependency).

``--tf-threads-default`` runs the parallel searches without skneural's
thread budget (workers' TensorFlow then sizes its pools to all cores), to
show what the budget is worth.

``--scripts N`` instead times the search as a user's script runs it: a new
interpreter for each search (its imports included, TensorFlow's first of
all), ``n_jobs=1`` and ``n_jobs=2`` in turn, N of each; prints every pair,
the median times and the median of the pairs' ratios.

``--timeline`` runs one such pair with every fit's start and end logged
(process, seconds since the script began) and prints, per process, when
its first fit started and ended (imports, then TensorFlow's import and the
first trace) and how long its later fits took, those on an architecture
the process had traced already apart from those on a new one, and how long
the script ran after its last fit (mostly the processes' exits): where a
fresh worker's time goes.

Usage::

    python benchmarks/bench_parallel.py [--tf-threads-default] [--no-dask] [--ray]
    python benchmarks/bench_parallel.py --scripts 5
    python benchmarks/bench_parallel.py --timeline
"""

import argparse
import collections
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from skneural import CNNClassifier  # (does not import TensorFlow)

GRID = {
    "filters": [(8,), (16,)],
    "dense_units": [(32,), (64,)],
    "dropout": [0.1, 0.25],
}


LOG = "BENCH_PARALLEL_LOG"  # --timeline: the log file, and when the script began
START = "BENCH_PARALLEL_START"


def _log(*event):
    with open(os.environ[LOG], "a") as log:
        seconds = time.time() - float(os.environ[START])
        log.write(json.dumps([os.getpid(), seconds, *event]) + "\n")


class LoggedCNNClassifier(CNNClassifier):
    """``CNNClassifier`` that logs each fit's start and end (``--timeline``;
    module level, so that joblib's workers unpickle it)."""

    def fit(self, X, y, **kwargs):
        _log("start", repr((self.filters, self.dense_units)))
        super().fit(X, y, **kwargs)
        _log("end")
        return self


def search(n_jobs):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    X, y = load_digits(return_X_y=True)
    make = LoggedCNNClassifier if os.environ.get(LOG) else CNNClassifier
    est = make(image_shape=(8, 8), epochs=5, random_state=0)
    return GridSearchCV(est, GRID, cv=3, n_jobs=n_jobs, refit=False).fit(X, y)


def scores(result):
    keys = sorted(k for k in result.cv_results_ if k.startswith("split"))
    return np.array([result.cv_results_[k] for k in keys])


SCRIPT = f"""
import sys
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
from bench_parallel import search, scores
print(repr(scores(search(int(sys.argv[1]))).tolist()))
"""


def scripts(n_pairs):
    """``n_pairs`` of (serial, ``n_jobs=2``) searches, each in a new
    interpreter, in turn (so a drift of the machine's speed hits both)."""
    print("the search as a script: a new interpreter each, imports included")
    print(f"{'pair':<6}{'n_jobs=1 s':>11}{'n_jobs=2 s':>11}{'ratio':>8}  scores equal")
    times, ratios = {1: [], 2: []}, []
    for pair in range(n_pairs):
        outputs = {}
        for n_jobs in (1, 2):
            start = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", SCRIPT, str(n_jobs)],
                capture_output=True,
                text=True,
                check=True,
            )
            times[n_jobs].append(time.perf_counter() - start)
            outputs[n_jobs] = run.stdout.strip().splitlines()[-1]
        ratios.append(times[2][-1] / times[1][-1])
        print(
            f"{pair:<6}{times[1][-1]:11.1f}{times[2][-1]:11.1f}{ratios[-1]:7.2f}x"
            f"  {outputs[1] == outputs[2]}"
        )
    print(
        f"median{np.median(times[1]):11.1f}{np.median(times[2]):11.1f}"
        f"{np.median(ratios):7.2f}x  (ratios {min(ratios):.2f}-{max(ratios):.2f})"
    )


def timeline():
    """One serial and one ``n_jobs=2`` script, every fit's start and end
    logged: per process, what its first fit waited for and how long its
    later fits took."""
    print("the search as a script, every fit's start and end logged")
    print("(seconds since the script began; a first fit includes TensorFlow's")
    print("import; 'new' fits are the first of an architecture in their process)")
    for n_jobs in (1, 2):
        with tempfile.TemporaryDirectory() as folder:
            env = dict(os.environ)
            env[LOG] = os.path.join(folder, "fits.log")
            env[START] = repr(time.time())
            subprocess.run(
                [sys.executable, "-c", SCRIPT, str(n_jobs)],
                capture_output=True,
                check=True,
                env=env,
            )
            total = time.time() - float(env[START])
            with open(env[LOG]) as log:
                events = [json.loads(line) for line in log]
        by_process = collections.defaultdict(list)
        for pid, seconds, *event in events:
            by_process[pid].append((seconds, *event))
        last = max(seconds for _pid, seconds, *_event in events)
        print(
            f"n_jobs={n_jobs}: {total:.1f} s, of which {total - last:.1f} s after"
            " the last fit (results gathered, then every process's exit)"
        )
        print(
            f"  {'process':<9}{'first fit':>16}{'new fits':>18}{'traced fits':>18}"
            f"{'last ends':>11}"
        )
        for number, fits in enumerate(by_process.values()):
            starts = [(t, arch) for t, kind, *arch in fits if kind == "start"]
            ends = [t for t, kind, *_ in fits if kind == "end"]
            seen, new, traced = {starts[0][1][0]}, [], []
            for (start, arch), end in zip(starts[1:], ends[1:]):
                (traced if arch[0] in seen else new).append(end - start)
                seen.add(arch[0])

            def summary(durations):
                if not durations:
                    return "-"
                return f"{len(durations)} x {np.mean(durations):.2f} s"

            print(
                f"  {number:<9}{starts[0][0]:7.1f} -{ends[0]:5.1f} s"
                f"{summary(new):>18}{summary(traced):>18}{ends[-1]:10.1f}s"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tf-threads-default", action="store_true")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument(
        "--ray", action="store_true", help="also on Ray's joblib backend (needs ray)"
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="one serial and one n_jobs=2 script, with every fit logged",
    )
    parser.add_argument(
        "--scripts",
        type=int,
        metavar="N",
        help="time N pairs of whole scripts (serial, n_jobs=2) instead",
    )
    args = parser.parse_args()
    if args.scripts:
        scripts(args.scripts)
        return
    if args.timeline:
        timeline()
        return
    if args.tf_threads_default:
        # 0 is TensorFlow's "choose for me" (all cores); setting the variable
        # also tells skneural that the user chose.
        os.environ["TF_NUM_INTRAOP_THREADS"] = "0"
        os.environ["TF_NUM_INTEROP_THREADS"] = "0"

    from joblib import parallel_backend
    from joblib.externals.loky import get_reusable_executor

    from skneural import _backend, _shells

    _backend.import_keras()
    rows = []

    start = time.perf_counter()
    serial = search(1)
    t_serial = time.perf_counter() - start
    rows.append(("n_jobs=1", t_serial, True))

    def timed(name, n_jobs):
        """Run the search, add its row: seconds, scores equal serial."""
        start = time.perf_counter()
        result = search(n_jobs)
        seconds = time.perf_counter() - start
        rows.append((name, seconds, np.array_equal(scores(result), scores(serial))))

    # again: this process has traced every candidate's network
    timed("n_jobs=1 (again)", 1)
    # two threads of this process: no worker to start, but one interpreter
    # (tracing holds the GIL; TensorFlow's kernels release it). Shells and
    # shared traces dropped first, so the threads trace as the serial
    # search did.
    _shells.clear()
    with parallel_backend("threading"):
        timed("n_jobs=2, threads", 2)
    get_reusable_executor().shutdown(wait=True)  # fresh workers for the run
    timed("n_jobs=2 (fresh workers)", 2)
    # the same search again on the same workers (joblib keeps them): as a
    # second search of a session runs, TensorFlow imported and traced there
    timed("n_jobs=2 (workers reused)", 2)
    get_reusable_executor().shutdown(wait=True)

    setup = None
    if not args.no_dask:
        from distributed import Client, LocalCluster

        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster),
        ):
            setup = time.perf_counter() - start
            with parallel_backend("dask"):
                timed("Dask, 2 workers", -1)

    if args.ray:
        import ray
        from ray.util.joblib import register_ray

        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        register_ray()
        ray_setup = time.perf_counter() - start
        with parallel_backend("ray"):
            timed("Ray, 2 CPUs", -1)
        ray.shutdown()

    backend = _backend.import_keras().backend.backend()
    print(f"8 candidates x 3 folds, CNNClassifier(epochs=5), digits; backend {backend}")
    if args.tf_threads_default:
        print("workers' TensorFlow threads: TensorFlow's default (all cores)")
    print(f"{'search':<26}{'seconds':>9}{'vs serial':>11}  scores equal serial")
    for name, seconds, equal in rows:
        print(f"{name:<26}{seconds:9.1f}{seconds / t_serial:10.2f}x  {equal}")
    if setup is not None:
        print(f"(Dask cluster start-up, not included above: {setup:.1f} s)")
    if args.ray:
        print(f"(ray.init, not included above: {ray_setup:.1f} s)")


if __name__ == "__main__":
    main()
