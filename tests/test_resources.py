"""Threads, GPU memory and a worker's exit: what skneural sets when Keras starts."""

import os
import subprocess
import sys

from skneural import _backend

PROBE = """
import os, sys
from skneural import _backend
if sys.argv[1] == "late":
    import tensorflow as tf
    tf.constant(1.0) + 1.0  # TensorFlow has started: its pools are fixed
    os.environ["OMP_NUM_THREADS"] = "1"
    print("RETURNED", _backend.limit_tensorflow_threads())
_backend.import_keras()
import tensorflow as tf
t = tf.config.threading
print("THREADS", t.get_intra_op_parallelism_threads(),
      t.get_inter_op_parallelism_threads())
"""


def _in_new_process(mode, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, mode],
        env={**clean, "KERAS_BACKEND": "tensorflow", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {
        line.split()[0]: line.split()[1:]
        for line in proc.stdout.splitlines()
        if line.startswith(("THREADS", "RETURNED"))
    }


def test_a_worker_s_thread_budget_reaches_tensorflow():
    # joblib's process workers get OMP_NUM_THREADS = cores // n_jobs, Dask's 1
    assert _in_new_process("budget", OMP_NUM_THREADS="1")["THREADS"] == ["1", "1"]


def test_thread_budget_is_not_forced_on_a_running_tensorflow():
    out = _in_new_process("late")
    assert out["RETURNED"] == ["None"]
    assert out["THREADS"] == ["0", "0"]  # TensorFlow's own choice, untouched


def test_thread_budget_is_left_alone_when_not_given_or_chosen(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert _backend.limit_tensorflow_threads() is None
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "2")  # the user's choice
    assert _backend.limit_tensorflow_threads() is None
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert _backend.limit_tensorflow_threads() is None


EXIT_PROBE = """
import atexit, gc, multiprocessing, os, sys
from joblib import Parallel, delayed
from joblib.externals.loky import get_reusable_executor

def record_freeze_at_exit(path):
    # registered before skneural's handler, so it runs after it
    def record():
        with open(path, "w") as f:
            f.write(str(gc.get_freeze_count()))
    atexit.register(record)

def task(path):
    record_freeze_at_exit(path)
    from skneural import _backend
    _backend.import_keras()
    return os.getpid()

def own_process(path):
    record_freeze_at_exit(path)
    from skneural import _backend
    _backend.skip_exit_collection_in_workers()

if __name__ == "__main__":
    folder = sys.argv[1]
    record_freeze_at_exit(os.path.join(folder, "main"))
    from skneural import _backend
    _backend.import_keras()
    (worker,) = Parallel(n_jobs=2)([delayed(task)(os.path.join(folder, "worker"))])
    assert worker != os.getpid()  # the task ran in a loky worker process
    get_reusable_executor().shutdown(wait=True)  # the worker has exited
    # a process of the user's own, started by multiprocessing
    own = multiprocessing.get_context("spawn").Process(
        target=own_process, args=(os.path.join(folder, "own"),)
    )
    own.start()
    own.join()
    assert own.exitcode == 0
"""


def test_a_worker_skips_the_exit_collection_and_other_processes_do_not(tmp_path):
    # A worker's exit is waited on (a script with n_jobs=2 ends when its
    # workers have exited); freezing the collector spares it the ~2 s of
    # collecting the backend's objects. The user's own processes are left
    # alone. The same on every backend; JAX's import is the quickest.
    probe = tmp_path / "probe.py"  # a file: spawn re-imports the main module
    probe.write_text(EXIT_PROBE)
    proc = subprocess.run(
        [sys.executable, str(probe), str(tmp_path)],
        env={**os.environ, "KERAS_BACKEND": "jax"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    recorded = {
        name: (tmp_path / name).read_text() if (tmp_path / name).exists() else None
        for name in ("worker", "main", "own")
    }
    # the objects alive at the worker's exit were frozen, none elsewhere
    assert recorded["worker"] is not None and int(recorded["worker"]) > 10_000, (
        recorded,
        proc.stderr[-2000:],
    )
    assert recorded["main"] == "0" and recorded["own"] == "0", recorded
    # nothing the worker's exit printed (a frozen exit leaves finalizers
    # unrun, so they cannot complain about half-torn-down modules)
    assert "Exception ignored" not in proc.stderr, proc.stderr[-2000:]
    assert not _backend.skip_exit_collection_in_workers()  # pytest's process


class _GPU:
    def __init__(self, name):
        self.name = name


class _Config:
    """``tf.config``'s GPU calls, for a machine with three GPUs.

    (The test machines have no GPU: this stands in for the hardware.)
    """

    def __init__(self, started=False):
        self.gpus = [_GPU("/gpu:0"), _GPU("/gpu:1"), _GPU("/gpu:2")]
        self.growth = {"/gpu:1": True}  # already set by the user
        self.limits = {"/gpu:2": ["a 4 GB logical device"]}  # the user's limit
        self.started = started
        self.experimental = self

    def list_physical_devices(self, kind):
        return self.gpus if kind == "GPU" else []

    def get_memory_growth(self, gpu):
        return self.growth.get(gpu.name, False)

    def set_memory_growth(self, gpu, value):
        if self.started:
            raise RuntimeError(
                "Physical devices cannot be modified after being initialized"
            )
        self.growth[gpu.name] = value

    def get_logical_device_configuration(self, gpu):
        return self.limits.get(gpu.name)


def test_gpu_memory_grows_unless_configured(monkeypatch):
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    config = _Config()
    assert _backend.enable_gpu_memory_growth(config) == ["/gpu:0"]
    assert config.growth == {"/gpu:0": True, "/gpu:1": True}
    # too late once TensorFlow runs; the user's own switch wins
    assert _backend.enable_gpu_memory_growth(_Config(started=True)) == []
    monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "false")
    assert _backend.enable_gpu_memory_growth(_Config()) == []
