"""Threads and GPU memory: what skneural sets when TensorFlow starts."""

import os
import subprocess
import sys

import pytest

from skneural import _backend

PROBE = """
from skneural import _backend
_backend.import_keras()
import tensorflow as tf
t = tf.config.threading
print("THREADS", t.get_intra_op_parallelism_threads(),
      t.get_inter_op_parallelism_threads())
"""


def _threads_in_new_process(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "KERAS_BACKEND": "tensorflow", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("THREADS"))
    return tuple(int(v) for v in line.split()[1:])


def test_a_worker_s_thread_budget_reaches_tensorflow():
    # joblib's process workers get OMP_NUM_THREADS = cores // n_jobs, Dask's 1
    assert _threads_in_new_process(OMP_NUM_THREADS="1") == (1, 1)


def test_thread_budget_is_left_alone_when_not_given_or_chosen(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert _backend.limit_tensorflow_threads() is None
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "2")  # the user's choice
    assert _backend.limit_tensorflow_threads() is None
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert _backend.limit_tensorflow_threads() is None


def test_thread_budget_is_not_forced_on_a_running_tensorflow(monkeypatch):
    import tensorflow as tf

    tf.constant(1.0) + 1.0  # TensorFlow has started: its pools are fixed
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    before = tf.config.threading.get_intra_op_parallelism_threads()
    if before:
        pytest.skip("this process's TensorFlow threads were configured already")
    assert _backend.limit_tensorflow_threads() is None
    assert tf.config.threading.get_intra_op_parallelism_threads() == before


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
