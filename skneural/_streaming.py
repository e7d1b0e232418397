"""Data that arrives in batches: ``keras.utils.PyDataset`` input.

The one home of dataset input. ``fit`` of a dataset reads it twice over:

1. one *gathering* pass (:func:`gather`) learns what ``fit`` learns from the
   whole data before training (input statistics as running moments,
   vocabularies as running counts, ``classes_``, ``n_features_in_``), batch
   by batch, never holding more than one batch of ``X``;
2. then every epoch trains on the batches in the dataset's order, calling
   its ``on_epoch_end()`` after each epoch, as ``keras.Model.fit`` does (the
   dataset shuffles itself there if it wants to).

:class:`BatchStream` is what the fit loop sees in place of arrays;
:func:`streams` lets ``predict``/``transform``/``score_samples`` take a
dataset, batch by batch. Backend-free apart from recognising the class.
"""

import contextlib
import functools
import sys
import warnings

import numpy as np

from ._batching import n_rows, take


@contextlib.contextmanager
def _naming_batch(i, what):
    """Prefix a TypeError/ValueError raised while reading batch ``i``."""
    try:
        yield
    except (TypeError, ValueError) as error:
        raise type(error)(f"Batch {i} of {what}: {error}") from error


def is_dataset(X):
    """Whether ``X`` is a ``keras.utils.PyDataset``.

    Without importing Keras: a user who built one has imported it.
    """
    keras = sys.modules.get("keras")
    utils = getattr(keras, "utils", None)
    cls = getattr(utils, "PyDataset", None)
    return cls is not None and isinstance(X, cls)


def n_batches(dataset):
    n = getattr(dataset, "num_batches", None)
    return len(dataset) if n is None else int(n)


def check_no_arrays_beside(y, sample_weight, name):
    """A dataset's batches hold the targets: ``y`` must not be passed too."""
    for what, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"{name}: when X is a keras.utils.PyDataset, its batches hold "
                f"the targets and weights, (X_batch, y_batch[, "
                f"sample_weight_batch]); expected {what}=None. Received: "
                f"{what} of type {type(value).__name__}"
            )


class BatchStream:
    """A dataset's batches, read and prepared one at a time.

    Parameters
    ----------
    estimator : NeuralEstimatorBase
        Reads and prepares the batches (``_prepare_X``, ``_prepare_y``,
        ``_sample_weights``); ``_unsupervised`` estimators take batches of
        ``X`` alone.
    dataset : keras.utils.PyDataset
    what : str
        Names the data in errors ("X", "validation_data").
    """

    def __init__(self, estimator, dataset, what="X"):
        self.estimator = estimator
        self.dataset = dataset
        self.what = what
        self.n_batches = n_batches(dataset)
        #: Prepared targets of the whole training data, set by :func:`gather`
        #: (a class-balanced weighting counts them, not one batch).
        self.all_y = None
        self._dtype = None
        self._first = None
        if self.n_batches < 1:
            raise ValueError(
                f"{what} is a dataset without batches; expected at least one. "
                f"Received: len({what})={self.n_batches}"
            )

    def __len__(self):
        return self.n_batches

    def raw(self, i):
        """Batch ``i`` as ``(X, y, sample_weight)``, checked for structure."""
        name = type(self.estimator).__name__
        batch = self.dataset[i]
        unsupervised = self.estimator._unsupervised
        if isinstance(batch, tuple):
            parts = batch
        elif unsupervised:
            parts = (batch,)
        else:
            raise ValueError(
                f"Batch {i} of {self.what}: {name} needs (X_batch, y_batch) or "
                "(X_batch, y_batch, sample_weight_batch) tuples. Received: a "
                f"batch of type {type(batch).__name__}"
            )
        if not (1 if unsupervised else 2) <= len(parts) <= 3:
            expected = "X_batch" if unsupervised else "(X_batch, y_batch)"
            raise ValueError(
                f"Batch {i} of {self.what}: expected {expected}, optionally "
                f"with sample weights. Received: a tuple of length {len(parts)}"
            )
        X, y, w = parts + (None,) * (3 - len(parts))
        if unsupervised and y is not None:
            raise ValueError(
                f"Batch {i} of {self.what}: {name} learns from X alone; expected "
                "X_batch or (X_batch, None, sample_weight_batch). Received: "
                f"y_batch of type {type(y).__name__}"
            )
        dtype = getattr(X, "dtype", None)
        if dtype is not None:
            if self._dtype is None:
                self._dtype = dtype
            elif dtype != self._dtype:
                raise ValueError(
                    f"Batch {i} of {self.what} changes the dtype of X midway: "
                    f"expected {self._dtype}, as in the batches before. "
                    f"Received: X_batch of dtype {dtype}"
                )
        return X, y, w

    def prepared(self, i):
        """Batch ``i`` as the network's ``(x, y, sample_weight)``."""
        X, y, w = self.raw(i)
        est = self.estimator
        with _naming_batch(i, self.what):
            x = est._prepare_X(X, reset=False)
            # rows made on demand (an autoencoder's targets) made now
            y_net = take(est._prepare_y(y, x, reset=False), slice(None))
            w_net = est._sample_weights(w, y_net, n_rows(x), all_y=self.all_y)
        return x, y_net, w_net

    def first(self):
        """Batch 0 prepared (it fixes the network's input layout), once."""
        if self._first is None:
            self._first = self.prepared(0)
        return self._first

    def epoch(self, *, end=True):
        """Every prepared batch in order; then ``on_epoch_end()`` (``end``)."""
        for i in range(self.n_batches):
            yield self.prepared(i)
        if end:
            self.dataset.on_epoch_end()

    def inputs(self):
        """The prepared ``X`` of every batch, in order."""
        for i in range(self.n_batches):
            X, _, _ = self.raw(i)
            with _naming_batch(i, self.what):
                x = self.estimator._prepare_X(X, reset=False)
            yield x


def prepare_fit(estimator, X, y, sample_weight, *, reset, classes, split):
    """The stream of a fit on dataset ``X``, and its prepared first batch.

    ``reset``: a new fit, which gathers first (:func:`gather`); otherwise
    training continues with what was learned. ``split``: whether the fit
    would hold out a split of ``X`` for early stopping, which a dataset
    cannot give (a warning says so).
    """
    name = type(estimator).__name__
    check_no_arrays_beside(y, sample_weight, name)
    stream = BatchStream(estimator, X)
    if reset:
        gather(estimator, stream, classes=classes)
    first = stream.first()
    if split and estimator.early_stopping:
        warnings.warn(
            f"{name} cannot hold out a validation split of a dataset, so "
            f"early stopping is off for this fit: all epochs={estimator.epochs} "
            "run. Pass validation_data to early-stop, or set "
            "early_stopping=False to silence this.",
            UserWarning,
            stacklevel=5,  # the user's call of fit
        )
    return stream, first


def gather(estimator, stream, *, classes=None):
    """The gathering pass of a fit on a dataset.

    Every batch is prepared with ``reset=True`` while the estimator's
    running state (``_gathering``) is open, so the statistics, counts and
    maxima its ``_prepare_X`` learns are merged over all batches
    (``NeuralEstimatorBase._running``), and checked first with
    ``reset=False`` against the first batch, so a batch whose features
    change midway gets the estimator's own error. The targets of all
    batches (one label or value per sample: small beside ``X``) are then
    prepared together, as an in-memory ``fit`` prepares them: ``classes_``
    (with ``partial_fit``'s ``classes``), class weights and target scaling
    see the whole data.
    """
    name = type(estimator).__name__
    targets, lengths, n = [], [], 0
    estimator._gathering = {}
    try:
        for i in range(len(stream)):
            X, y, _ = stream.raw(i)
            with _naming_batch(i, stream.what):
                if i > 0:
                    estimator._prepare_X(X, reset=False)
                x = estimator._prepare_X(X, reset=True)
            n += n_rows(x)
            targets.append(y)
            batch_lengths = estimator._lengths(x)
            if batch_lengths is not None:
                lengths.append(batch_lengths)
    finally:
        del estimator._gathering
    if n < 2:
        raise ValueError(
            f"{name} needs at least 2 samples to fit. Received: a dataset of "
            f"{n} sample(s)"
        )
    if not estimator._unsupervised:
        y_all = _concatenate(targets)
        if lengths:  # sequences: the targets are checked against the lengths
            lengths = np.concatenate(lengths)
            rows = (np.arange(lengths.max()) < lengths[:, None],)
        else:
            rows = np.empty((n, 0), dtype=np.float32)
        y_net = estimator._prepare_y(y_all, rows, reset=True, classes=classes)
        if np.ndim(y_net) == 1:  # class indices (not padded tags, not values)
            stream.all_y = y_net


def head(X, max_rows):
    """Prepared rows of ``X``: an array as it is, or the first batches of a
    stream up to ``max_rows`` rows (fixed-size rows only)."""
    if not isinstance(X, BatchStream):
        return X
    parts, n = [], 0
    for x in X.inputs():
        parts.append(np.asarray(x))
        n += len(x)
        if n >= max_rows:
            break
    return np.concatenate(parts, axis=0)[:max_rows]


def blocks(X, rows_per_block):
    """Prepared ``X`` block by block: an array in slices of
    ``rows_per_block`` rows (a memory-mapped one is read slice by slice),
    a stream batch by batch."""
    if isinstance(X, BatchStream):
        yield from X.inputs()
        return
    n = n_rows(X)
    for start in range(0, n, rows_per_block):
        yield X[start : start + rows_per_block]


def _concatenate(parts):
    """Targets of all batches as one: arrays end to end, lists joined."""
    if any(p is None for p in parts):
        return None  # the estimator's _prepare_y says y is required
    if all(isinstance(p, list) for p in parts):
        return [t for p in parts for t in p]
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def streams(method):
    """Let a prediction method take a ``keras.utils.PyDataset``.

    The method runs on each batch's ``X`` (batches may hold targets too;
    they are ignored) and the results are joined: arrays end to end, lists
    (the tagger's tag sequences) one after the other.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if not is_dataset(X):
            return method(self, X, *args, **kwargs)
        outputs = []
        for i in range(n_batches(X)):
            batch = X[i]
            X_b = batch[0] if isinstance(batch, tuple) else batch
            outputs.append(method(self, X_b, *args, **kwargs))
        if not outputs:
            raise ValueError(
                "X is a dataset without batches; expected at least one. "
                f"Received: len(X)={n_batches(X)}"
            )
        if isinstance(outputs[0], list):
            return [row for part in outputs for row in part]
        return np.concatenate(outputs, axis=0)

    return wrapper
