"""Memory of a fit on data larger than one wants in memory (issue #11).

``AutoencoderTransformer(n_components=16, epochs=1, batch_size=256)`` with
early stopping on, on a 200,000 x 784 float32 array (627 MB), given as a
memory-mapped ``.npy`` file and, beside it, as an in-memory array. Each case
runs in a fresh subprocess; a thread samples the process's anonymous
resident memory (``RssAnon`` in ``/proc/self/status``: what the process
allocated, not the file pages of the memmap) every 20 ms. Printed: RssAnon
growth at its peak during ``fit`` and after it, over the level just before
``fit`` (data ready, Keras imported, one small warm-up fit done).

Target: the memmap fit grows RssAnon by less than 250 MB.

Usage::

    python benchmarks/bench_memory.py [--rows 200000] [--dir /tmp]

Linux only (``/proc``).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = r"""
import json, sys, threading, time
import numpy as np
from skneural import AutoencoderTransformer

def rss_anon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024

path, mode = sys.argv[1], sys.argv[2]
X = np.load(path, mmap_mode="r") if mode == "memmap" else np.load(path)
params = dict(n_components=16, epochs=1, batch_size=256, random_state=0)
AutoencoderTransformer(**params).fit(np.array(X[:1000]))  # imports, traces
before = rss_anon()
peak = [before]
done = threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_anon())
        time.sleep(0.02)

thread = threading.Thread(target=sample, daemon=True)
thread.start()
start = time.perf_counter()
est = AutoencoderTransformer(**params).fit(X)
seconds = time.perf_counter() - start
done.set()
thread.join()
after = rss_anon()
peak[0] = max(peak[0], after)
print("RESULT" + json.dumps({
    "peak_growth_mb": (peak[0] - before) / 1e6,
    "end_growth_mb": (after - before) / 1e6,
    "fit_s": seconds,
    "val_loss": est.history_["val_loss"][-1],
}))
"""


def write_data(path, rows, cols=784, chunk=20_000):
    """Low-rank data plus noise, written chunk by chunk (never all in RAM)."""
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, cols))
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(16, cols)).astype(np.float32)
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        latent = rng.normal(size=(n, 16)).astype(np.float32)
        X[start : start + n] = latent @ mixing + 0.1 * rng.normal(size=(n, cols))
    X.flush()


def run(path, mode):
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, path, mode],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dir", default=None, help="where the .npy file goes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = os.path.join(tmp, "X.npy")
        write_data(path, args.rows)
        size = os.path.getsize(path) / 1e6
        print(f"data: {args.rows} x 784 float32, {size:.0f} MB on disk")
        print("| input | RssAnon growth, peak | after fit | fit s |")
        print("|---|---|---|---|")
        for mode in ("memmap", "in-memory"):
            r = run(path, mode)
            print(
                f"| {mode} | {r['peak_growth_mb']:.0f} MB | "
                f"{r['end_growth_mb']:.0f} MB | {r['fit_s']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
