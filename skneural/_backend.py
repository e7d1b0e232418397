"""Everything that depends on the Keras backend in use lives here.

The estimators and the network builders only use Keras 3's public API and
``keras.ops``. What cannot be written backend-neutrally is collected here,
so that TensorFlow, JAX and PyTorch backends all work:

- importing Keras (lazily, :func:`import_keras`: ``import skneural`` must
  stay cheap) and, the first time, sizing TensorFlow's threads and GPU
  memory and, in a joblib or Dask worker process, skipping the exit's
  garbage collection;
- the batch trainers (:func:`batch_trainer`, most of this module): one
  training or held-out step at a time through Keras's own step functions,
  as ``fit`` drives them, without ``fit``'s per-call data pipeline;
- a compiled inference function (:func:`inference_function`);
- for the user's own networks, :func:`default_seeds`, :func:`is_graph_network`.

The trainers use private Keras API (``_symbolic_build``, the JAX state
layout and ``jax_state_sync``, ``_record_training_state_sharding_spec``)
and TensorFlow's private ``_omit_frequent_tracing_warning``, each guarded,
with Keras's public ``train_on_batch`` as the fallback. (Pickling a model
needs only public API: :mod:`skneural._base`.) Tested from the
oldest supported versions (``.ci/oldest.txt``: Keras 3.8, TensorFlow 2.18,
JAX 0.4.38), on which CI runs the whole suite too, to the newest.
"""

import atexit
import collections
import contextlib
import gc
import multiprocessing
import numbers
import os
import random
import sys
import threading

from . import _devices
from ._batching import accumulate, n_rows, pack

__all__ = [
    "import_keras",
    "enable_gpu_memory_growth",
    "limit_tensorflow_threads",
    "skip_exit_collection_in_workers",
    "batch_trainer",
    "inference_function",
    "training_pass",
    "default_seeds",
    "repeatable_names",
    "is_graph_network",
]

_default_seed_lock = threading.Lock()


@contextlib.contextmanager
def default_seeds(seed):
    """Within: Keras's default seeds come from a generator seeded by ``seed``.

    Unseeded layers and initialisers draw from Python's global ``random``
    in ``seed_generator.make_default_seed`` (Keras 3.8 to 3.15); users'
    networks are built in here, so their seeds follow the fit's seed and
    no one's global stream is read or moved. The lock: one build at a time.
    """
    from keras.src.random import seed_generator

    with _default_seed_lock:
        saved = seed_generator.python_random
        seed_generator.python_random = random.Random(seed)
        try:
            yield
        finally:
            seed_generator.python_random = saved


@contextlib.contextmanager
def repeatable_names():
    """Within: Keras's automatic names count on from where they stand; after,
    the counts go back, so the next block names its objects the same way.

    TensorFlow keeps a kernel (about 35 KB) for every distinct variable
    name it has created, for the rest of the process; a variable's name is
    scoped by its layer's and optimizer's names, and Keras numbers those
    for the whole process (``adam_37``, ``seed_generator_212``). So every
    fit of a search created its variables under new names, and memory grew
    with every fit (#10: 1.6 MB per fit of the LSTM). Built in here, each
    fit's network and optimizer take the names the last fit's took (unless
    something was named in between). Names made in here never repeat ones
    made before the block, nor each other; names made after it may repeat
    them (two fitted networks may then both be called ``functional``: give
    a network of your own a name to put two in one graph). Keras's counters
    live in ``global_state`` (thread-local; Keras 3.8 to 3.15).
    """
    from keras.src.backend.common import global_state

    saved = global_state.get_global_attribute("object_name_uids")
    global_state.set_global_attribute(
        "object_name_uids", collections.defaultdict(int, saved or {})
    )
    try:
        yield
    finally:
        global_state.set_global_attribute("object_name_uids", saved)


def constant_learning_rate(optimizer):
    """``optimizer``'s learning rate where it is a number (Keras then holds it
    in a variable the traced steps read), else ``None`` (a schedule)."""
    rate = optimizer.get_config()["learning_rate"]
    return float(rate) if isinstance(rate, numbers.Real) else None


def compiles_per_shape():
    """Whether the backend's train step compiles once per input shape (JAX).

    TensorFlow's step is traced once with the batch and time axes unknown
    (:class:`_TFBatchTrainer`); torch runs eagerly.
    """
    import keras

    return keras.backend.backend() == "jax"


def is_graph_network(model):
    """Functional or ``Sequential`` (its config is its whole computation)."""
    import keras
    from keras.src.models.functional import Functional

    return isinstance(model, (Functional, keras.Sequential))


def import_keras():
    """Import and return the ``keras`` module (slow the first time).

    The first call also lets TensorFlow's GPU memory grow as needed
    (:func:`enable_gpu_memory_growth`) and sizes its thread pools to this
    process's share of the cores (:func:`limit_tensorflow_threads`), unless
    the user configured them; in a joblib or Dask worker process, on any
    backend, it spares the exit its last garbage collections
    (:func:`skip_exit_collection_in_workers`).
    """
    import keras

    global _configured
    if not _configured:
        _configured = True
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            enable_gpu_memory_growth(tf.config)
            limit_tensorflow_threads()
        skip_exit_collection_in_workers()
    return keras


_configured = False


def enable_gpu_memory_growth(config):
    """Let TensorFlow take GPU memory as it needs it, not all at once.

    By default TensorFlow maps nearly all the memory of every visible GPU
    when it starts, so a second process on the same card (a joblib or Dask
    worker beside the first) finds none left. With memory growth, workers
    that each need a little can share a card.

    ``config`` is ``tf.config``. Nothing changes when
    ``TF_FORCE_GPU_ALLOW_GROWTH`` is set (the user chose), for a GPU given
    a memory limit or already set to grow, or once TensorFlow has started
    (its GPU settings are then fixed). Returns the names of the GPUs set to
    grow.
    """
    if os.environ.get("TF_FORCE_GPU_ALLOW_GROWTH") is not None:
        return []
    changed = []
    for gpu in config.list_physical_devices("GPU"):
        try:
            if config.experimental.get_memory_growth(
                gpu
            ) or config.get_logical_device_configuration(gpu):
                continue
            config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # TensorFlow has started: too late
            break
        changed.append(gpu.name)
    return changed


def limit_tensorflow_threads():
    """Give TensorFlow the thread budget ``OMP_NUM_THREADS`` sets, if any.

    Parallel runners tell each worker process its share of the cores in
    ``OMP_NUM_THREADS``: joblib's process workers (``n_jobs``) get
    ``cores // n_jobs``, Dask's workers 1. NumPy's BLAS obeys it, but
    TensorFlow sizes its two thread pools to all cores: with ``n_jobs=2``
    on 2 cores, two workers ran 8 busy threads. (A small fit is as fast
    with one thread as with two here: most of it is Python.)

    Nothing changes when ``OMP_NUM_THREADS`` is unset, when the user chose
    TensorFlow's threads (``TF_NUM_INTRAOP_THREADS``/``TF_NUM_INTEROP_THREADS``
    or ``tf.config.threading``), or when TensorFlow already runs (its pools
    are then fixed). Returns the number of threads set, or ``None``.
    """
    budget = os.environ.get("OMP_NUM_THREADS", "")
    if not budget.isdigit() or int(budget) < 1:
        return None
    if os.environ.get("TF_NUM_INTRAOP_THREADS") or os.environ.get(
        "TF_NUM_INTEROP_THREADS"
    ):
        return None
    import tensorflow as tf

    threading = tf.config.threading
    if (
        threading.get_intra_op_parallelism_threads()
        or threading.get_inter_op_parallelism_threads()
    ):
        return None
    try:
        threading.set_intra_op_parallelism_threads(int(budget))
        threading.set_inter_op_parallelism_threads(int(budget))
    except RuntimeError:  # TensorFlow has started: too late, keep its pools
        return None
    return int(budget)


def skip_exit_collection_in_workers():
    """In a joblib or Dask worker process, freeze the garbage collector at exit.

    A process that imported Keras spends about 2 s of its exit (TensorFlow
    1.8-2.5 s, JAX 2.8 s, measured on 2 cores) in the interpreter's last
    garbage collections, over all the objects the backend's modules made.
    A worker's exit is waited on: a script that searched with ``n_jobs=2``
    or on a local Dask cluster ends only when its workers have exited.
    ``gc.freeze()`` at exit leaves those objects to the operating system,
    which reclaims the whole process anyway (0.16 s instead, TensorFlow).
    The objects lose only their finalizers that the final collection would
    have run, those of objects in reference cycles; skneural's fits need
    none, and their results were sent back before the exit.

    Only in a worker process of joblib (loky) or Dask (started by its
    nanny). Any other process, such as a user's script, notebook, server
    or its own worker processes, exits as Python does by default. Returns
    whether it was arranged (also kept in ``_exit_collection_skipped``).
    """
    global _exit_collection_skipped
    if not _exit_collection_skipped and _in_a_worker_process():
        # registered now, so it runs after the atexit handlers registered
        # later (and before those registered earlier: freezing stops none)
        atexit.register(gc.freeze)
        _exit_collection_skipped = True
    return _exit_collection_skipped


_exit_collection_skipped = False


def _in_a_worker_process():
    """Whether this is a joblib (loky) worker process, or a Dask worker
    process running a task.

    Both are started by ``multiprocessing`` (``parent_process()`` is set;
    a Dask worker in the client's own process is not one). Fork-started
    workers (joblib's ``"multiprocessing"`` backend on Linux) are left out:
    they end with ``os._exit``, which skips the exit's collection anyway.
    """
    if multiprocessing.parent_process() is None:
        return False
    loky = sys.modules.get("joblib.externals.loky.backend.process")
    if loky is not None and isinstance(
        multiprocessing.current_process(), loky.LokyProcess
    ):
        return True
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()  # set within a task on a Dask worker
    except ValueError:
        return False
    return True


def batch_trainer(model, x, y, sample_weight, *, dynamic_length=False):
    """Return an object that trains ``model`` one mini-batch at a time.

    ``x, y, sample_weight`` is an example batch (its shapes, less the batch
    axis, and dtypes are those of every batch). The object has
    ``start_epoch()``, ``train(x, y, sample_weight)``, ``batch_logs()``,
    ``end_epoch()`` (ends the epoch and returns its means of the loss and
    metrics, as ``fit`` reports them; the model's variables are current
    after it), ``evaluate(x, y, sample_weight)`` (loss and metrics of one
    held-out batch, the model not trained) and ``finish()`` (call when
    training ends, normally or not).
    ``dynamic_length=True``: axis 1 of the arrays (the time axis of padded
    sequences) varies from batch to batch.
    """
    keras = import_keras()
    # One trainer per model and batch layout, kept on the model (as the
    # inference function is): its traced step serves every later fit of the
    # model (shells, warm starts, partial_fit calls).
    key = batch_layout((x, y, sample_weight), dynamic_length)
    trainers = model.__dict__.get("_skneural_trainers")
    if trainers is None:
        trainers = {}
        object.__setattr__(model, "_skneural_trainers", trainers)
    if key not in trainers:
        trainers[key] = _new_batch_trainer(
            keras, model, x, y, sample_weight, dynamic_length
        )
    return trainers[key]


def batch_layout(arrays, dynamic_length):
    """What a traced step sees of a batch: per array, shape and dtype.

    The batch axis is left out (any batch size), and with
    ``dynamic_length`` the time axis too; ``None`` stands for a missing
    array (no sample weights).
    """
    keras = import_keras()
    start = 2 if dynamic_length else 1
    return (dynamic_length,) + tuple(
        None if a is None else (tuple(a.shape[start:]), str(a.dtype))
        for a in keras.tree.flatten(arrays)
    )


def _new_batch_trainer(keras, model, x, y, sample_weight, dynamic_length):
    backend = keras.backend.backend()
    # The fast trainers drive Keras's own step functions, as ``fit`` does,
    # through private API (``_symbolic_build``): guarded, with the public
    # ``train_on_batch`` as the fallback.
    if hasattr(model, "_symbolic_build"):
        if backend == "tensorflow":
            return _TFBatchTrainer(model, x, y, sample_weight, dynamic_length)
        if backend == "jax" and hasattr(model, "_get_jax_state"):
            return _JAXBatchTrainer(model, x, y, sample_weight)
        if backend == "torch":
            return _TorchBatchTrainer(model, x, y, sample_weight)
    return _BatchTrainer(model)


class _Trainer:
    """What every trainer shares: held-out batches through ``test_on_batch``
    (which resets the metrics first: the logs are the batch's alone)."""

    def __init__(self, model):
        self.model = model

    def evaluate(self, x, y, sample_weight):
        return self.model.test_on_batch(
            x, y, sample_weight=sample_weight, return_dict=True
        )

    def finish(self):
        """Leave the model's variables current, also after an interruption."""


class _BatchTrainer(_Trainer):
    """Any backend: Keras's public ``train_on_batch``, means kept here."""

    def start_epoch(self):
        self._totals, self._n, self._last = {}, 0, {}

    def train(self, x, y, sample_weight):
        # the logs of this batch alone: on JAX, Keras 3.8 and 3.10 carried
        # the metrics over from call to call
        self.model.reset_metrics()
        self._last = self.model.train_on_batch(
            x, y, sample_weight=sample_weight, return_dict=True
        )
        n = n_rows(x)
        self._n += n
        accumulate(self._totals, self._last, n)

    def batch_logs(self):
        return dict(self._last)

    def end_epoch(self):
        return {k: v / self._n for k, v in self._totals.items()}


class _StepTrainer(_Trainer):
    """Calls Keras's own train step, as ``fit`` does, batch after batch.

    Metrics accumulate over the epoch inside Keras, exactly as in ``fit``:
    the last step's logs are the epoch means, and they are copied to Python
    once per epoch (per batch only for the progress bar).
    """

    def __init__(self, model, x, y, sample_weight):
        super().__init__(model)
        # Builds the optimizer, loss and metrics (what fit does before its
        # first step); Keras private API, hence the guard in batch_trainer.
        model._symbolic_build(data_batch=pack(x, y, sample_weight))
        self._logs = {}

    def start_epoch(self):
        self.model.reset_metrics()

    def batch_logs(self):
        return {k: float(v) for k, v in self._logs.items()}

    def end_epoch(self):
        return self.batch_logs()


class _TFBatchTrainer(_StepTrainer):
    """TensorFlow: one traced train step for every batch size.

    ``train_on_batch`` traces a step for the first batch shape and again,
    relaxed, for the last (smaller) batch of an epoch: two traces per fit,
    each about 0.15 s and a few MB that TensorFlow never frees. Tracing once
    up front with the batch axis unknown serves every batch. Metrics
    accumulate over the epoch inside Keras, exactly as in ``fit``, so no
    per-step copy back to Python is needed.
    """

    def __init__(self, model, x, y, sample_weight, dynamic_length=False):
        import tensorflow as tf

        super().__init__(model, x, y, sample_weight)
        example = pack(x, y, sample_weight)

        def spec(a):
            shape = (None,) + tuple(a.shape[1:])
            if dynamic_length and len(shape) >= 2:
                shape = (None, None) + shape[2:]
            return tf.TensorSpec(shape, tf.as_dtype(a.dtype))

        self._specs = tf.nest.map_structure(spec, example)
        self._step = self._traced(model.train_step)
        self._test_step = None  # traced at the first evaluate

    def _traced(self, step):
        """``step`` as one function traced now for every batch (``_specs``).

        autograph=False: Keras's steps and skneural's layers branch only on
        Python values (tensor conditions go through ops.cond), so converting
        their source to graph code is pure cost: about 0.6 s on a process's
        first fit and 0.1-0.2 s on each new trace.
        """
        import tensorflow as tf

        function = tf.function(
            step,
            reduce_retracing=True,
            autograph=False,
            jit_compile=bool(getattr(self.model, "jit_compile", False)),
        )
        _quiet_retracing_warning(function)
        function.get_concrete_function(self._specs)
        return function

    def train(self, x, y, sample_weight):
        self._logs = self._step(pack(x, y, sample_weight))

    def evaluate(self, x, y, sample_weight):
        """Keras's test step, traced once for every held-out batch.

        ``test_on_batch`` traces a test function for the first shape and
        again, relaxed, for the next: each fit then printed TensorFlow's
        "triggered tf.function retracing" warning during a search. Traced
        here once with the batch axis (and time axis) unknown, as the train
        step is.
        """
        if self._test_step is None:
            self._test_step = self._traced(self.model.test_step)
        self.model.reset_metrics()
        logs = self._test_step(pack(x, y, sample_weight))
        return {k: float(v) for k, v in logs.items()}


class _TorchBatchTrainer(_StepTrainer):
    """PyTorch: Keras's train function called directly.

    ``train_on_batch`` also resets the metrics and copies the logs to Python
    on every batch.
    """

    def __init__(self, model, x, y, sample_weight):
        super().__init__(model, x, y, sample_weight)
        model.make_train_function()

    def train(self, x, y, sample_weight):
        self._logs = self.model.train_function([pack(x, y, sample_weight)])


class _JAXBatchTrainer(_StepTrainer):
    """JAX: the jitted train step with its state carried across batches.

    ``train_on_batch`` copies the whole state (weights, optimizer slots,
    metrics) out of the model's variables before every step and back after
    it. ``fit`` keeps it in hand for a whole epoch and writes it back once;
    this does the same, so variables are current at the end of each epoch
    (when validation, early stopping and the user's epoch callbacks read
    them), not between batches, exactly as in ``fit``.
    """

    def __init__(self, model, x, y, sample_weight):
        super().__init__(model, x, y, sample_weight)
        # What fit does before its first step. Keras 3.8-3.x (private API):
        # the train step reads the variables' shardings recorded here.
        record = getattr(model, "_record_training_state_sharding_spec", None)
        if record is not None:
            record()
        model.make_train_function()
        self._state = None  # taken from the variables at the first step

    def train(self, x, y, sample_weight):
        model = self.model
        if self._state is None or model._jax_state_synced:
            self._state = _take_jax_state(model, STEP_STATE, purge=True)
        batch = _placed_batch(x, y, sample_weight)
        self._logs, self._state = model.train_function(self._state, batch)
        _hold_jax_state(model, self._state, STEP_STATE)

    def evaluate(self, x, y, sample_weight):
        """Keras's test step, called as ``test_on_batch`` calls it.

        Not ``test_on_batch`` itself: on Keras 3.8 it scored the held-out
        batch with stale weights after the trainer's epoch (validation loss
        2.23 where the trained model's log loss was 1.91; the steps here
        gave 1.91), and under a distribution it splits every batch across
        the devices, which fails for a batch whose rows do not divide
        evenly among them. The batch is placed as training batches are
        (:func:`skneural._devices.place`).
        """
        model = self.model
        model.make_test_function()
        model.reset_metrics()
        state = _take_jax_state(model, TEST_STATE, purge=False)
        logs, state = model.test_function(state, _placed_batch(x, y, sample_weight))
        _hold_jax_state(model, state, TEST_STATE)
        model.jax_state_sync()
        return {k: float(v) for k, v in logs.items()}

    def end_epoch(self):
        self.finish()  # the variables are current at the end of each epoch
        return self.batch_logs()

    def finish(self):
        self.model.jax_state_sync()
        self._state = None


#: What Keras's JAX train and test steps take and return, in order.
STEP_STATE = (
    "trainable_variables",
    "non_trainable_variables",
    "optimizer_variables",
    "metrics_variables",
)
TEST_STATE = ("trainable_variables", "non_trainable_variables", "metrics_variables")


def _take_jax_state(model, names, *, purge):
    """The variables' values as a JAX step takes them (``names``, in order);
    ``purge`` frees the variables' own copies while the state is held."""
    state = model._get_jax_state(
        **dict.fromkeys(names, True), purge_model_variables=purge
    )
    model._jax_state_synced = False
    return state


def _placed_batch(x, y, sample_weight):
    """One batch as a JAX step reads it: an iterator, split across the
    devices of a distribution (:func:`skneural._devices.place`)."""
    return iter([_devices.place(pack(x, y, sample_weight))])


def _hold_jax_state(model, state, names):
    """Leave a step's returned ``state`` where Keras's ``jax_state_sync``
    looks for it (as ``fit`` and ``test_on_batch`` do)."""
    model._jax_state = dict(zip(names, state))


def _quiet_retracing_warning(function):
    """Turn off TensorFlow's "frequent retracing" warning for ``function``.

    Each fitted model gets its own functions, traced once; a grid search
    makes many such models, which TensorFlow's heuristic mistakes for
    accidental retracing of one function. (Private attribute, hence the
    guard: on other TensorFlow versions the warning may just show.)
    """
    if hasattr(function, "_omit_frequent_tracing_warning"):
        function._omit_frequent_tracing_warning = True


def inference_function(model, share=None):
    """Return ``f(x) -> numpy array`` running ``model`` in inference mode.

    ``model.predict`` sets up a data pipeline and callbacks on every call
    (60-100 ms with TensorFlow for one row); one compiled function (traced
    once, any batch size) costs about 1 ms. Built once per model, cached on
    the model (the estimator's ``__dict__`` must not change in ``predict``),
    it reads the current weights on every call: valid after more training.

    ``share``: ``share(make)`` returns the function shared by every model
    that computes what ``model`` computes, calling ``make()`` the first time
    (the caller keeps them: :func:`skneural._shells.shared_inference`), or
    None. Given, on TensorFlow and JAX the traced function takes the
    weights as arguments and is shared: each fit of a search makes a new
    model, which otherwise traced its predictions anew (0.3-0.4 s of a
    BiLSTM tagger's 0.6 s fit on a reused shell here).
    """
    fn = model.__dict__.get("_skneural_inference")
    if fn is None:
        backend = import_keras().backend.backend()
        if share is None or backend not in ("tensorflow", "jax"):
            fn = _make_inference_function(model)
        else:
            stateless = share(lambda: _stateless_inference(model, backend))

            def fn(x):
                return stateless(
                    [v.value for v in model.trainable_variables],
                    [v.value for v in model.non_trainable_variables],
                    x,
                )

        # object.__setattr__: keep Keras's attribute tracking out of it.
        object.__setattr__(model, "_skneural_inference", fn)
    return fn


def training_pass(model):
    """Return ``f(x)`` running ``model`` once in training mode on ``x``, its
    state (batch statistics, seed states) updated as a direct call updates
    it. Made once per model, kept on it. For the batch-statistics pass
    after fit (``_recalibrate_batch_statistics``), which sets every batch
    normalisation's momentum to 0 around it: on JAX, settings that are
    not variables, such as the momentum, are read once, when a shape is
    first traced.

    On JAX, compiled once per input shape: called directly, a recurrent
    layer's scan is traced and compiled anew on every call, and JAX keeps
    every such compilation (2.4 MB per call of the LSTM classifier, whose
    batch statistics are recomputed after every fit). Called on a shell
    (:mod:`skneural._shells`), the compilation serves every fit of the
    architecture with the same chunk shapes. Elsewhere, a direct call:
    TensorFlow and torch keep nothing per call.
    """
    fn = model.__dict__.get("_skneural_training_pass")
    if fn is not None:
        return fn
    # (a subclassed network's call may take no ``training``, which
    # stateless_call would pass on: called directly)
    if import_keras().backend.backend() == "jax" and is_graph_network(model):
        import jax

        @jax.jit
        def jitted(tv, ntv, x):
            fn.traces += 1  # (runs only while JAX traces: once per shape)
            return model.stateless_call(tv, ntv, x, training=True)[1]

        def fn(x):
            state = model.non_trainable_variables
            new = jitted(
                [v.value for v in model.trainable_variables],
                [v.value for v in state],
                x,
            )
            for variable, value in zip(state, new):
                variable.assign(value)

        fn.traces = 0

    else:

        def fn(x):
            model(x, training=True)

    object.__setattr__(model, "_skneural_training_pass", fn)
    return fn


def _stateless_inference(template, backend):
    """``f(trainable, non_trainable, x) -> numpy array``: ``template``'s
    computation in inference mode with the weights given (any model of the
    same architecture), traced once for any batch size."""
    if backend == "tensorflow":
        import tensorflow as tf

        # reduce_retracing: one trace serves every batch size (and sequence
        # length); autograph off as for the steps (_TFBatchTrainer._traced)
        compiled = tf.function(
            lambda tv, ntv, x: template.stateless_call(tv, ntv, x, training=False)[0],
            reduce_retracing=True,
            autograph=False,
        )
        _quiet_retracing_warning(compiled)

        def run(tv, ntv, x):
            def tensors(values):
                return tf.nest.map_structure(tf.convert_to_tensor, values)

            return _to_numpy(compiled(tensors(tv), tensors(ntv), tensors(x)))

        return run
    import jax

    @jax.jit
    def jitted(tv, ntv, x):
        return template.stateless_call(tv, ntv, x, training=False)[0]

    return lambda tv, ntv, x: _to_numpy(jitted(tv, ntv, x))


def _make_inference_function(model):
    """Per model: the torch backend, and networks that may not share a
    trace. A direct call of the network, not ``stateless_call``: Keras drops
    ``training`` for a subclassed network whose ``call`` takes no such
    argument, ``stateless_call`` passes it on."""
    keras = import_keras()
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        # reduce_retracing: one trace serves every batch size (and sequence
        # length), instead of one trace per new shape.
        compiled = tf.function(
            lambda x: model(x, training=False),
            reduce_retracing=True,
            autograph=False,  # as for the steps (_TFBatchTrainer._traced)
        )
        _quiet_retracing_warning(compiled)

        def run(x):
            return _to_numpy(compiled(tf.nest.map_structure(tf.convert_to_tensor, x)))

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
