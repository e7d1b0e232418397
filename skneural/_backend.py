"""Everything that depends on the Keras backend in use lives here.

The estimators and the network builders only use Keras 3's public API and
``keras.ops``. The few things that cannot be written backend-neutrally
(scoped seeding of the backend's global random state, a compiled inference
function, (de)serialising a model for pickling) are collected in this module,
so that TensorFlow, JAX and PyTorch backends all work.

Keras (and with it TensorFlow) is imported lazily by :func:`import_keras`:
``import skneural`` must stay cheap.
"""

import contextlib
import random

import numpy as np

__all__ = [
    "import_keras",
    "backend_name",
    "seeded",
    "inference_function",
    "serialize_model",
    "deserialize_model",
]


def import_keras():
    """Import and return the ``keras`` module (slow the first time)."""
    import keras

    return keras


def backend_name():
    """Name of the Keras backend in use ("tensorflow", "jax", "torch", ...)."""
    return import_keras().backend.backend()


@contextlib.contextmanager
def seeded(seed):
    """Seed every random generator Keras draws from, then restore them.

    Keras layers take their initial weights and dropout seeds from Python's
    ``random`` module, array shuffling in ``fit`` comes from NumPy (JAX and
    torch backends) or from TensorFlow's global seed (``tf.data``), and the
    torch backend draws from torch's generator. Seeding all of them makes a
    fit reproducible; restoring them afterwards keeps the user's own random
    streams exactly where they were, as if ``fit`` had never run.
    """
    keras = import_keras()
    py_state = random.getstate()
    np_state = np.random.get_state()
    restore = [_seed_tensorflow(seed)]
    if keras.backend.backend() == "torch":
        restore.append(_seed_torch(seed))
    random.seed(seed)
    np.random.seed(seed)
    try:
        yield
    finally:
        for undo in reversed(restore):
            undo()
        np.random.set_state(np_state)
        random.setstate(py_state)


def _seed_tensorflow(seed):
    """Set TensorFlow's global seed; return a function that puts it back.

    ``tf.data`` (which Keras uses to shuffle arrays on every backend when
    TensorFlow is installed) derives its shuffling seeds from the global seed.
    ``tf.random.set_seed`` has no getter, so the eager context's seed and its
    op-seed generator are saved and put back directly.
    """
    try:
        import tensorflow as tf
        from tensorflow.python.eager import context
    except ImportError:  # pragma: no cover - TensorFlow-free installs
        return lambda: None
    ctx = context.context()
    old_seed = getattr(ctx, "_seed", None)
    old_rng = getattr(ctx, "_rng", None)
    tf.random.set_seed(seed)

    def undo():
        ctx._seed = old_seed
        ctx._rng = old_rng

    return undo


def _seed_torch(seed):
    import torch

    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    return lambda: torch.random.set_rng_state(state)


def inference_function(model):
    """Return ``f(x) -> numpy array`` running ``model`` in inference mode.

    ``model.predict`` sets up a data pipeline and callbacks on every call,
    about 60-100 ms with TensorFlow even for one row. Calling the model
    directly costs about 1 ms, and wrapping the call in one compiled function
    (traced once, any batch size) makes repeated small predictions cheaper
    still.

    The function is built once per model and cached on the model itself (not
    on the estimator, whose ``__dict__`` must not change in ``predict``). It
    reads the model's current weights on every call, so it stays valid after
    further training.
    """
    fn = model.__dict__.get("_skneural_inference")
    if fn is None:
        fn = _make_inference_function(model)
        # object.__setattr__: keep Keras's attribute tracking out of it.
        object.__setattr__(model, "_skneural_inference", fn)
    return fn


def _make_inference_function(model):
    keras = import_keras()
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        # reduce_retracing: one trace serves every batch size (and sequence
        # length), instead of one trace per new shape.
        compiled = tf.function(
            lambda x: model(x, training=False), reduce_retracing=True
        )

        def run(x):
            return _to_numpy(compiled(x))

        return run
    if name == "jax":
        import jax

        # Stateless call under jit: the weights are arguments, so the traced
        # function is reused for every batch of the same shape.
        @jax.jit
        def jitted(tv, ntv, x):
            out, _ = model.stateless_call(tv, ntv, x, training=False)
            return out

        def run(x):
            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]
            return _to_numpy(jitted(trainable, non_trainable, x))

        return run

    def run(x):  # torch and others: a direct call, no per-call pipeline
        return _to_numpy(model(x, training=False))

    return run


def _to_numpy(out):
    keras = import_keras()
    if isinstance(out, (list, tuple)):
        return type(out)(keras.ops.convert_to_numpy(o) for o in out)
    return keras.ops.convert_to_numpy(out)


def serialize_model(model):
    """Model -> a picklable dict (architecture as JSON, weights as arrays).

    Keras models do not pickle across backends or TensorFlow versions
    reliably; JSON config plus NumPy weights is small, fast, and portable.
    The optimizer state is not kept: a model restored from a pickle is
    recompiled with a fresh optimizer if training continues.
    """
    return {
        "config": model.to_json(),
        "weights": [np.asarray(w) for w in model.get_weights()],
    }


def deserialize_model(state):
    """Inverse of :func:`serialize_model`."""
    keras = import_keras()
    # Importing the package's layers registers their serialisation names.
    from . import architectures  # noqa: F401

    model = keras.models.model_from_json(state["config"])
    model.set_weights(state["weights"])
    return model
