"""Every estimator on each device this machine has: GPU against CPU.

Each configuration runs in a fresh subprocess (Keras picks its backend, and
JAX its devices, once per process):

=============  ==================================================
jax-gpu        KERAS_BACKEND=jax, JAX's default device (the GPU)
jax-gpu-dp     the same with ``distribution="data_parallel"``
               (every GPU: ``n_devices_`` says how many)
jax-cpu        KERAS_BACKEND=jax, ``JAX_PLATFORMS=cpu``
jax-cpu-dp2    JAX on two virtual CPU devices
               (``XLA_FLAGS=--xla_force_host_platform_device_count=2``),
               ``distribution="data_parallel"``
torch-gpu      KERAS_BACKEND=torch, CUDA visible
torch-cpu      KERAS_BACKEND=torch, ``CUDA_VISIBLE_DEVICES=""``
tf-gpu/tf-cpu  KERAS_BACKEND=tensorflow, likewise
=============  ==================================================

A configuration whose backend is not installed, or that has no GPU, is
reported as such. Every estimator is fitted twice with its defaults
(``early_stopping=False`` and ``--epochs`` epochs, so every configuration
does the same work): the first fit includes tracing and compiling, the
second shows the steady state (the fixed architectures reuse their traced
steps). Each estimator's held-out score is printed beside its times, to show
that the fits trained. Results stream out as they come (one JSON line per
fit), so a configuration cut off by ``--timeout`` still reports the
estimators it finished.

Usage::

    python benchmarks/bench_devices.py                     # every config
    python benchmarks/bench_devices.py --configs jax-cpu,tf-cpu --rows 2000
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time

CONFIGS = {
    "jax-gpu": ("jax", {}, None),
    "jax-gpu-dp": ("jax", {}, "data_parallel"),
    "jax-cpu": ("jax", {"JAX_PLATFORMS": "cpu"}, None),
    "jax-cpu-dp2": (
        "jax",
        {
            "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        },
        "data_parallel",
    ),
    "torch-gpu": ("torch", {}, None),
    "torch-cpu": ("torch", {"CUDA_VISIBLE_DEVICES": ""}, None),
    "tf-gpu": ("tensorflow", {}, None),
    "tf-cpu": ("tensorflow", {"CUDA_VISIBLE_DEVICES": ""}, None),
}

ESTIMATORS = [
    "NeuralClassifier",
    "AutoencoderTransformer",
    "AutoencoderAnomalyDetector",
    "CNNClassifier",
    "BiLSTMTagger",
    "LSTMSequenceClassifier",
]


def _needs_gpu(config):
    return "-gpu" in config


def _device_kind(backend):
    """("gpu" or "cpu", description) of the backend's default device."""
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return device.platform, f"{len(jax.devices())} x {device.device_kind}"
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return "gpu", f"{torch.cuda.device_count()} x " + (
                torch.cuda.get_device_name(0)
            )
        return "cpu", f"{torch.get_num_threads()} threads"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return ("gpu", f"{len(gpus)} GPU") if gpus else ("cpu", "CPU")


def _data(name, rows):
    """(train args, test args) of ``name``'s data, the same in every config."""
    import numpy as np
    from sklearn.datasets import load_digits

    from skneural.datasets import make_long_dependency, make_lookahead_tagging

    rng = np.random.RandomState(0)
    if name == "BiLSTMTagger":
        sentences, tags = make_lookahead_tagging(rows // 4, random_state=0)
        cut = len(sentences) * 4 // 5
        return (sentences[:cut], tags[:cut]), (sentences[cut:], tags[cut:])
    if name == "LSTMSequenceClassifier":
        X, y = make_long_dependency(rows // 8, length=150, random_state=0)
        cut = len(X) * 4 // 5
        return (X[:cut], y[:cut]), (X[cut:], y[cut:])
    # digits enlarged to 24 x 24 pixels, with noise, tiled to ``rows`` rows
    digits, labels = load_digits(return_X_y=True)
    idx = rng.randint(len(digits), size=rows)
    images = np.kron(digits[idx].reshape(-1, 8, 8), np.ones((3, 3)))
    X = images.reshape(rows, -1) / 16 + rng.normal(0, 0.1, (rows, 576))
    X, y = X.astype("float32"), labels[idx]
    cut = rows * 4 // 5
    if name in ("AutoencoderTransformer", "AutoencoderAnomalyDetector"):
        return (X[:cut],), (X[cut:],)
    return (X[:cut], y[:cut]), (X[cut:], y[cut:])


def _score(est, test):
    if hasattr(est, "score") and len(test) == 2:
        return float(est.score(*test))
    if hasattr(est, "inverse_transform"):  # reconstruction SSE per row
        X = test[0]
        back = est.inverse_transform(est.transform(X))
        return float(((X - back) ** 2).sum(1).mean())
    return float(est.score_samples(test[0]).mean())


def worker(config, epochs, rows):
    backend, _, distribution = CONFIGS[config]
    import skneural

    kind, description = _device_kind(backend)
    print("DEVICE" + json.dumps([kind, description]), flush=True)
    if _needs_gpu(config) and kind != "gpu":
        return  # reported by run_config
    for name in ESTIMATORS:
        train, test = _data(name, rows)
        params = dict(epochs=epochs, early_stopping=False, random_state=0)
        if distribution:
            params["distribution"] = distribution
        if name == "CNNClassifier":
            params["image_shape"] = (24, 24)
        times = []
        for _ in range(2):
            est = getattr(skneural, name)(**params)
            start = time.perf_counter()
            est.fit(*train)
            times.append(time.perf_counter() - start)
        result = dict(
            estimator=name,
            first=times[0],
            second=times[1],
            score=_score(est, test),
            n_devices=est.n_devices_,
        )
        print("RESULT" + json.dumps(result), flush=True)


def run_config(config, epochs, rows, timeout, log=None):
    backend, env_extra, _ = CONFIGS[config]
    if importlib.util.find_spec(backend) is None:
        return "not installed", {}
    env = {**os.environ, "KERAS_BACKEND": backend, **env_extra}
    command = [sys.executable, __file__, "--worker", config]
    command += ["--epochs", str(epochs), "--rows", str(rows)]
    results, device, lines = {}, None, []
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    # a worker that hangs prints nothing: a timer ends it, not the next line
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if log is not None:
                log.write(line)
                log.flush()
            if line.startswith("DEVICE"):
                device = json.loads(line[6:])
            elif line.startswith("RESULT"):
                result = json.loads(line[6:])
                results[result["estimator"]] = result
                print(f"  {config:12s} {_row(result)}", flush=True)
    finally:
        timer.cancel()
        proc.wait()
    if device is None:
        return "failed: " + "".join(lines[-5:]).strip()[-300:], results
    if _needs_gpu(config) and device[0] != "gpu":
        return f"no GPU (default device: {device[1]})", {}
    status = device[1]
    if len(results) < len(ESTIMATORS):
        status += f" (cut off at {timeout:.0f} s)"
    return status, results


def _row(result):
    return (
        f"{result['estimator']:28s} first {result['first']:7.1f} s  "
        f"second {result['second']:7.1f} s  score {result['score']:.4g}  "
        f"devices {result['n_devices']}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument(
        "--timeout", type=float, default=150, help="seconds per configuration"
    )
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--log", help="write the workers' whole output here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.epochs, args.rows)
        return
    print(f"{args.epochs} epochs, {args.rows} rows (see _data); times in seconds")
    table = {}
    log = open(args.log, "w") if args.log else None
    for config in args.configs.split(","):
        status, results = run_config(config, args.epochs, args.rows, args.timeout, log)
        print(f"{config}: {status}", flush=True)
        table[config] = {"status": status, "results": results}
    print("\nsecond fit (steady state), seconds; GPU speed-up against the CPU")
    configs = [c for c in table if table[c]["results"]]
    print(f"{'':28s}" + "".join(f"{c:>13s}" for c in configs))
    for name in ESTIMATORS:
        cells = []
        for c in configs:
            r = table[c]["results"].get(name)
            cells.append(f"{r['second']:13.2f}" if r else f"{'-':>13s}")
        print(f"{name:28s}" + "".join(cells))
    for backend in ("jax", "torch", "tf"):
        gpu = table.get(f"{backend}-gpu", {}).get("results", {})
        cpu = table.get(f"{backend}-cpu", {}).get("results", {})
        for name in ESTIMATORS:
            if name in gpu and name in cpu:
                ratio = cpu[name]["second"] / gpu[name]["second"]
                print(f"{backend:6s}{name:28s} GPU {ratio:5.1f}x the CPU's speed")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table, f, indent=1)


if __name__ == "__main__":
    main()
