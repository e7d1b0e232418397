"""Compiled networks reused from fit to fit of the same architecture.

Most of a small fit is not training: TensorFlow traces the train step, the
validation step and their graphs (a BiLSTM tagger: 3.5 s of a 4.3 s fit on
a 2-core machine), JAX compiles them, and every traced function stays in
memory for good (about 2.8 MB per fit). A search fits the same
architecture on the same shapes over and over.

So a fit trains a *shell*: a compiled copy of its network, whose step
functions are traced once and kept here between fits, keyed by everything a
trace depends on (the network's configuration less names and seeds, the
shapes and dtypes of a batch, optimizer, loss and metrics). A constant
learning rate is not part of the key: Keras keeps it in an optimizer
variable that the steps read, so a search over ``learning_rate`` traces
once. Nor is a dropout rate: the networks' dropout layers
(:class:`~skneural.architectures.layers.VariableDropout`) read theirs from
a variable too, loaded with the others, so a search over ``dropout`` traces
once as well; so do the autoencoders' noise layers for ``noise``, and the
cells of the recurrent classifier's LSTM and GRU layers for ``dropout`` and
``recurrent_dropout`` (:data:`LOADED_SETTINGS`). A fit borrows a shell,
loads its own starting state into it (weights, seed states, dropout and
noise levels, input statistics; the optimizer's initial state and learning
rate), trains it, and copies the trained weights and optimizer state into
its own ``model_``, which is never shared. A shell is used by one fit at a
time; fits running at once each get their own. At most
``MAX_ARCHITECTURES`` architectures keep at most ``MAX_IDLE`` idle shells
each; the least recently used go first.

Nothing here depends on the backend; it only uses Keras's public API.
"""

import collections
import json
import numbers
import threading

import numpy as np

#: Architectures that keep idle shells (least recently used dropped first).
MAX_ARCHITECTURES = 8
#: Idle shells kept per architecture (fits that ran at once made several).
MAX_IDLE = 2

_lock = threading.Lock()
_idle = collections.OrderedDict()  # key -> [Shell, ...]


class Shell:
    """A compiled network and the initial values of its optimizer state."""

    def __init__(self, model):
        import keras

        self.model = model
        model.optimizer.build(model.trainable_variables)
        self.optimizer_start = [
            np.array(keras.ops.convert_to_numpy(v.value))
            for v in model.optimizer.variables
        ]

    def load(self, source):
        """Start from ``source``'s state: its variables, a fresh optimizer
        at ``source``'s learning rate."""
        _copy(_network_variables(source), _network_variables(self.model))
        for variable, value in zip(
            self.model.optimizer.variables, self.optimizer_start
        ):
            variable.assign(value)
        from ._backend import constant_learning_rate

        rate = constant_learning_rate(source.optimizer)
        if rate is not None:  # (a schedule is in the key)
            self.model.optimizer.learning_rate = rate
        self.model.reset_metrics()
        self.model.stop_training = False

    def store(self, target):
        """Copy the trained state into ``target`` (compiled, same network)."""
        _copy(_network_variables(self.model), _network_variables(target))
        if not target.optimizer.built:
            target.optimizer.build(target.trainable_variables)
        _copy(self.model.optimizer.variables, target.optimizer.variables)


def borrow(key):
    """An idle shell for ``key``, or ``None`` (the caller makes one)."""
    with _lock:
        shells = _idle.get(key)
        if not shells:
            return None
        _idle.move_to_end(key)
        return shells.pop()


def give_back(key, shell):
    """Keep ``shell`` for the next fit of ``key`` (within the bounds)."""
    with _lock:
        shells = _idle.setdefault(key, [])
        _idle.move_to_end(key)
        if len(shells) < MAX_IDLE:
            shells.append(shell)
        while len(_idle) > MAX_ARCHITECTURES:
            _idle.popitem(last=False)


def clear():
    """Drop every idle shell and shared inference function (their traced
    functions go with them)."""
    with _lock:
        _idle.clear()
        _inference.clear()


def n_idle():
    """Number of idle shells kept (all architectures)."""
    with _lock:
        return sum(len(s) for s in _idle.values())


_inference = collections.OrderedDict()  # network key -> stateless function


def network_key(model, extra):
    """What ``model`` computes, as a string: its configuration less names
    and seeds (:func:`architecture_key`'s), and ``extra``."""
    return _as_key({"network": model.get_config(), "extra": extra})


def _as_key(described):
    """``described`` less names and seeds (:func:`_canonical`), as a string."""
    return json.dumps(_canonical(described), sort_keys=True, default=repr)


def shared_inference(key, make):
    """The inference function shared by the networks of ``key``; ``make()``
    makes it the first time (it takes the weights as arguments, so any
    network of ``key`` runs on it). At most ``MAX_ARCHITECTURES`` kept."""
    with _lock:
        function = _inference.get(key)
        if function is not None:
            _inference.move_to_end(key)
            return function
    function = make()  # (tracing happens on the first call, not here)
    with _lock:
        function = _inference.setdefault(key, function)
        _inference.move_to_end(key)
        while len(_inference) > MAX_ARCHITECTURES:
            _inference.popitem(last=False)
    return function


#: Fewest rows of an embedding table (:func:`table_rows`).
MIN_TABLE_ROWS = 16


def table_rows(n_ids):
    """Rows of an embedding table for ``n_ids`` ids: the next power of two.

    A vocabulary learned in ``fit`` differs from fold to fold of a search,
    and a table's size is part of the network (and of its trace): each fold
    would trace its own steps. Rounded up, folds of similar vocabularies
    share one shell; the extra rows are never looked up, so they never
    train, and cost at most as much memory again as the table itself.

    >>> table_rows(5), table_rows(16), table_rows(17), table_rows(9000)
    (16, 16, 32, 16384)
    """
    return max(MIN_TABLE_ROWS, 1 << (int(n_ids) - 1).bit_length())


def architecture_key(model, arrays, dynamic_length, extra):
    """What a trace of ``model``'s steps depends on, as a string.

    ``arrays``: one training batch's arrays (their shapes less the batch
    axis, and dtypes; less the time axis too with ``dynamic_length``).
    ``extra``: anything else the steps depend on (the estimator class, the
    backend). Layer names and seeds differ from build to build and are
    left out: names are renamed in order of appearance, seeds dropped (they
    only set initial values, which a fit loads into the shell).
    """
    from ._backend import batch_layout

    described = {
        "network": model.get_config(),
        "batch": batch_layout(arrays, dynamic_length),
        # optimizer, loss and metrics with their configurations
        "compile": _any_constant_rate(model.get_compile_config()),
        "extra": extra,
    }
    return _as_key(described)


def _any_constant_rate(compile_config):
    """``compile_config`` less the optimizer's learning rate where it is a
    number: Keras holds it in a variable the traced steps read (not a
    constant traced into them), and :meth:`Shell.load` sets each fit's."""
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict) and isinstance(
        optimizer.get("config", {}).get("learning_rate"), numbers.Real
    ):
        config = {**optimizer["config"], "learning_rate": "variable"}
        compile_config = {
            **compile_config,
            "optimizer": {**optimizer, "config": config},
        }
    return compile_config


#: Layer settings that a fit loads into a shell with the layer's variables,
#: by registered layer name: the layer keeps them in a variable that the
#: steps read, so they are not part of a trace (as a constant learning rate
#: is not). Only whether each is zero is: Keras's recurrent layers build
#: no dropout into their steps at a zero rate.
LOADED_SETTINGS = {
    "skneural>VariableDropout": ("rate",),
    "skneural>VariableMaskingNoise": ("rate",),
    "skneural>VariableGaussianNoise": ("stddev",),
    "skneural>VariableDropoutLSTM": ("dropout", "recurrent_dropout"),
    "skneural>VariableDropoutGRU": ("dropout", "recurrent_dropout"),
}


def _canonical(config):
    """``config`` with seeds dropped, :data:`LOADED_SETTINGS` reduced to
    whether they are non-zero, names numbered by first appearance."""
    names = set()

    def collect(obj):
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key == "name" and isinstance(value, str):
                    names.add(value)
                collect(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                collect(value)

    collect(config)
    numbered = {}

    def rename(obj):
        if isinstance(obj, dict):
            loaded = LOADED_SETTINGS.get(obj.get("registered_name"), ())
            if loaded and isinstance(obj.get("config"), dict):
                config = {
                    k: bool(v) if k in loaded else v for k, v in obj["config"].items()
                }
                obj = {**obj, "config": config}
            return {k: rename(v) for k, v in obj.items() if "seed" not in k}
        if isinstance(obj, (list, tuple)):
            return [rename(v) for v in obj]
        if isinstance(obj, str) and obj in names:
            return numbered.setdefault(obj, f"#{len(numbered)}")
        return obj

    return rename(config)


def _network_variables(model):
    """All state of ``model``'s layers: weights, statistics, seed states."""
    return [v for layer in model.layers for v in layer.variables]


def _copy(sources, targets):
    if len(sources) != len(targets):
        raise RuntimeError(
            f"cannot copy {len(sources)} variables into {len(targets)}: "
            "the networks differ"
        )
    for source, target in zip(sources, targets):
        if tuple(source.shape) != tuple(target.shape):
            raise RuntimeError(
                f"cannot copy a variable of shape {tuple(source.shape)} into "
                f"one of shape {tuple(target.shape)}: the networks differ"
            )
        target.assign(source.value)
