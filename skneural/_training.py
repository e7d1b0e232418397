"""The epoch loop every skneural estimator trains with.

:class:`TrainingLoop` is a part of :class:`skneural._base.NeuralEstimatorBase`
(its only user): shuffled mini-batches, the held-out validation split, early
stopping, Keras callbacks, divergence and interruption handling, and the
fit's history. The base decides *which* network trains (a shell or
``model_``, see :mod:`skneural._shells`); this module trains it. There is no
other copy of the loop.
"""

import copy
import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _backend, _streaming
from ._batching import PREDICT_CHUNK, accumulate, batch_rows, batches, n_rows, take
from ._streaming import BatchStream

#: Epochs without a better training loss, in units of ``n_iter_no_change``,
#: after which estimators that halve their step on a plateau do so.
PLATEAU_PATIENCE = 2
#: Their step is halved down to this fraction of where it started.
PLATEAU_FLOOR = 1 / 30

#: Smallest validation set early stopping is done on; smaller fits (under
#: 191 rows at the default ``validation_fraction=0.1``) train all epochs.
MIN_VALIDATION_SAMPLES = 20


class TrainingLoop:
    """The epoch loop, mixed into the estimators' base class.

    Reads the estimator's training parameters (``epochs``, ``batch_size``,
    ``early_stopping``, ``validation_fraction``, ``n_iter_no_change``,
    ``tol``, ``callbacks``, ``verbose``) and ``_stratified_validation``,
    ``_sequence_input`` and ``_halve_step_on_plateau``; writes ``history_``,
    ``n_iter_``, ``loss_curve_``, ``validation_scores_``, ``best_epoch_``
    and ``best_validation_score_``.
    """

    def _prepare_validation(self, validation_data):
        """Prepared ``(X, y, weights)`` of ``fit``'s ``validation_data``.

        Read as the training data is read (``reset=False``: with the
        statistics, classes and vocabularies learned from ``X``), before
        any training, with errors that say they are about
        ``validation_data``.
        """
        name = type(self).__name__
        if _streaming.is_dataset(validation_data):
            return _streaming.BatchStream(self, validation_data, "validation_data")
        if self._unsupervised:
            parts = validation_data
            if not isinstance(parts, tuple):
                parts = (validation_data,)
            if not 1 <= len(parts) <= 3:
                raise ValueError(
                    f"validation_data of {name} must be X_val or (X_val, None, "
                    "sample_weight_val). Received: validation_data of length "
                    f"{len(parts)}"
                )
            X_val, y_val, w_val = parts + (None,) * (3 - len(parts))
            if y_val is not None:
                raise ValueError(
                    f"{name} learns from X alone, so validation_data has no "
                    "targets: pass X_val, or (X_val, None, sample_weight_val). "
                    f"Received: validation_data with y_val of type "
                    f"{type(y_val).__name__}"
                )
        else:
            if not isinstance(validation_data, tuple):
                raise TypeError(
                    "validation_data must be a tuple (X_val, y_val) or (X_val, "
                    "y_val, sample_weight_val). Received: validation_data of "
                    f"type {type(validation_data).__name__}"
                )
            if len(validation_data) not in (2, 3):
                raise ValueError(
                    "validation_data must hold X_val and y_val, and optionally "
                    "sample_weight_val. Received: validation_data of length "
                    f"{len(validation_data)}"
                )
            X_val, y_val, w_val = validation_data + (None,) * (3 - len(validation_data))
        try:
            X_net = self._prepare_X(X_val, reset=False)
            y_net = self._prepare_y(y_val, X_net, reset=False)
            weights = self._sample_weights(w_val, y_net, n_rows(X_net))
        except (TypeError, ValueError) as error:
            raise type(error)(f"validation_data: {error}") from error
        return X_net, y_net, weights

    def _train(self, keras, model, X, y, weights, seed, *, partial, validation=None):
        """The epoch loop: shuffled mini-batches, validation, callbacks.

        ``validation`` is the prepared ``(X, y, weights)`` of the user's
        ``validation_data``: watched after every epoch (early-stopped on
        with ``early_stopping=True``) instead of a split of ``X``.

        Written over single training and test steps
        (``_backend.batch_trainer``) rather than ``model.fit``: shuffling comes from a
        NumPy generator seeded here (no backend global seed to set), small
        fits do not pay ``tf.data``'s per-epoch iterator setup (about 10 ms
        per iterator, two per epoch with validation: most of a small fit),
        and the loop is the same on every backend. Keras callbacks (early
        stopping, progress bar, the user's) are driven as ``fit`` drives
        them.
        """
        rng = np.random.RandomState(seed % (2**32))
        epochs = 1 if partial else self.epochs
        stream = X if isinstance(X, BatchStream) else None
        # The split is kept as row indices into X, never as copies: batches
        # are gathered by index, so a memory-mapped X is read batch by batch.
        train_rows = None  # None: every row of X trains
        if isinstance(validation, BatchStream):
            validation = (validation,)
        elif validation is not None:
            validation = (*validation, None)
        elif stream is not None:
            pass  # a dataset is not split (the base warned)
        elif not partial and self._holds_out_validation(n_rows(X)):
            train_rows, val_rows = self._validation_split(y, n_rows(X), rng)
            validation = (X, y, weights, val_rows)
        stopper = None
        if validation is not None and self.early_stopping and not partial:
            stopper = keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=self.n_iter_no_change,
                min_delta=self.tol,
                restore_best_weights=True,
            )
        if stream is not None:
            # the dataset's own batches; evaluation batches of the user's
            # validation arrays at most this size
            first = stream.first()
            batch_size, steps = n_rows(first[0]), len(stream)
        else:
            n = n_rows(X) if train_rows is None else len(train_rows)
            batch_size = min(200, n) if self.batch_size == "auto" else self.batch_size
            batch_size = min(batch_size, n)
            steps = math.ceil(n / batch_size)
            first = tuple(take(a, slice(0, batch_size)) for a in (X, y, weights))

        history = keras.callbacks.History()
        user = [_copy_callback(cb, i) for i, cb in enumerate(self.callbacks or [])]
        schedule = [] if partial else self._plateau_schedule(keras, model)
        callbacks = keras.callbacks.CallbackList(
            user + schedule + ([stopper] if stopper else []) + [history],
            add_progbar=self.verbose != 0,
            model=model,
            verbose=self.verbose,
            epochs=epochs,
            steps=steps,
        )
        trainer = _backend.batch_trainer(
            model, *first, dynamic_length=self._sequence_input
        )
        model.stop_training = False
        # The weights after the last epoch that ended with a finite loss (at
        # first, those this call started from): restored on divergence or
        # interruption.
        last_good = model.get_weights()
        completed = 0
        start_loss = None  # of the first batch, at the starting weights
        callbacks.on_train_begin()
        logs = {}
        try:
            for epoch in range(epochs):
                callbacks.on_epoch_begin(epoch)
                trainer.start_epoch()
                epoch_batches = (
                    stream.epoch()
                    if stream is not None
                    else self._array_batches(rng, X, y, weights, train_rows, batch_size)
                )
                for step, batch in enumerate(epoch_batches):
                    callbacks.on_train_batch_begin(step)
                    trainer.train(*batch)
                    if start_loss is None:
                        start_loss = trainer.batch_logs()["loss"]
                    # Per-batch logs cost a copy to Python: only for the progbar.
                    callbacks.on_train_batch_end(
                        step, trainer.batch_logs() if self.verbose else None
                    )
                logs = trainer.end_epoch()
                current = model.get_weights()
                if _diverging(logs, current, start_loss):
                    model.set_weights(last_good)
                    self._diverged(
                        model,
                        X if stream is None else first[0],
                        epoch,
                        logs,
                        stop=completed > 0,
                    )
                    break
                if validation is not None:
                    val_logs = self._evaluate(
                        trainer, *validation, batch_size=batch_size
                    )
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, logs)
                last_good, completed = current, completed + 1
                if model.stop_training:
                    break
        except KeyboardInterrupt:
            # As MLPClassifier does: keep what was learned, unless nothing was.
            trainer.finish()
            model.set_weights(last_good)
            if completed == 0:
                raise
            warnings.warn(
                f"Training interrupted by the user after {completed} epoch(s): "
                f"{type(self).__name__} keeps the weights of the last complete "
                "epoch (with early stopping, of the best one so far).",
                UserWarning,
                stacklevel=4,
            )
            if stopper is not None and stopper.best_epoch < completed:
                stopper.on_train_end()  # restores the best weights so far
            else:
                stopper = None
            return history.history, stopper
        finally:
            # JAX keeps the state outside the model's variables mid-epoch
            trainer.finish()
        callbacks.on_train_end(logs)
        if self.verbose and stopper is not None and stopper.best_weights is not None:
            self._report_early_stopping(stopper, completed, epochs)
        return history.history, stopper

    def _array_batches(self, rng, X, y, weights, train_rows, batch_size):
        """One epoch's shuffled mini-batches of ``train_rows`` of the arrays.

        The shuffle is drawn from ``rng`` when the epoch starts.
        """
        all_lengths = self._lengths(X)
        lengths = _subset(all_lengths, train_rows)
        n = n_rows(X) if train_rows is None else len(train_rows)
        for idx in batches(rng, n, batch_size, lengths):
            idx = idx if train_rows is None else train_rows[idx]
            yield batch_rows(
                idx, all_lengths, X, y, weights, round_length=self._round_length()
            )

    def _report_early_stopping(self, stopper, completed, epochs):
        """Say how early stopping ended the fit (``verbose >= 1``).

        Epochs are counted from 1 within this call, as in the progress bar.
        """
        if stopper.stopped_epoch > 0:
            ended = (
                f"early stopping ended the fit after epoch {completed} of "
                f"{epochs}: the validation loss had not improved by "
                f"tol={self.tol:g} for {self.n_iter_no_change} epochs"
            )
        else:
            ended = f"all {completed} epochs ran"
        print(
            f"{type(self).__name__}: {ended}; kept the weights of epoch "
            f"{stopper.best_epoch + 1}, the best on the held-out data "
            f"(val_loss {stopper.best:.4g})."
        )

    def _diverged(self, model, X, epoch, logs, *, stop):
        """Warn (``stop=True``) or raise: training diverged in ``epoch``."""
        keras = _backend.import_keras()
        lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        values = X
        while isinstance(values, (list, tuple, dict)):
            values = (
                next(iter(values.values())) if isinstance(values, dict) else values[0]
            )
        scale = float(np.max(np.abs(values))) if values.dtype.kind == "f" else None
        message = (
            f"{type(self).__name__} diverged: the training loss became "
            f"{logs.get('loss'):.3g} in epoch {epoch + 1}. The steps are too large "
            f"for this data: lower learning_rate (now {lr:g})"
            + (
                f", or scale the inputs (largest absolute value {scale:.3g})"
                if scale is not None
                else ""
            )
            + "."
        )
        if not stop:
            raise ValueError(
                message + " No epoch trained to a finite loss, so the estimator "
                "is left as it was before fit."
            )
        warnings.warn(
            message + " Training stopped there; the weights of the epoch before "
            "are kept.",
            ConvergenceWarning,
            stacklevel=4,
        )

    def _evaluate(self, trainer, X, y=None, weights=None, rows=None, batch_size=None):
        """Loss and metrics on held-out ``rows`` of ``X`` (``None``: all).

        In large batches; sequences in batches of ``batch_size`` similar
        lengths, each padded only to its own longest sequence. ``X`` may be
        a dataset's :class:`~skneural._streaming.BatchStream`: its batches.
        """
        if isinstance(X, BatchStream):
            totals, n = {}, 0
            for x, y_b, w_b in X.epoch(end=False):
                accumulate(totals, trainer.evaluate(x, y_b, w_b), n_rows(x))
                n += n_rows(x)
            return {k: v / n for k, v in totals.items()}
        n = n_rows(X) if rows is None else len(rows)
        all_lengths = self._lengths(X)
        lengths = _subset(all_lengths, rows)
        if lengths is None or lengths.min() == lengths.max():
            chunks = [
                np.arange(i, min(i + PREDICT_CHUNK, n))
                for i in range(0, n, PREDICT_CHUNK)
            ]
        else:
            order = np.argsort(lengths, kind="stable")
            chunks = [order[i : i + batch_size] for i in range(0, n, batch_size)]
        totals = {}
        for idx in chunks:
            idx = idx if rows is None else rows[idx]
            x, y_b, w_b = batch_rows(
                idx, all_lengths, X, y, weights, round_length=self._round_length()
            )
            batch_logs = trainer.evaluate(x, y_b, w_b)
            accumulate(totals, batch_logs, len(idx))
        return {k: v / n for k, v in totals.items()}

    @staticmethod
    def _round_length():
        """Whether batches' time axes are rounded up to a power of two."""
        return _backend.compiles_per_shape()

    def _lengths(self, X):
        """Real length of each prepared sequence; ``None`` for fixed-size rows.

        Sequence estimators (``_sequence_input = True``) give their prepared
        inputs as a tuple whose last array is the ``(n, timesteps)`` mask.
        """
        if not self._sequence_input:
            return None
        return X[-1].sum(axis=1)

    def _plateau_schedule(self, keras, model):
        """The step halved whenever the training loss has not improved by
        ``tol`` for ``PLATEAU_PATIENCE * n_iter_no_change`` epochs, down to
        ``PLATEAU_FLOOR`` of where it started: ``[callback]``, or ``[]``.

        For estimators with ``_halve_step_on_plateau`` and a constant step
        (a schedule sets its own). It is scikit-learn's
        ``learning_rate="adaptive"`` (``MLPClassifier``, which divides by 5
        after two epochs), at the patience of LSTM-FCN's reference training
        (Karim et al., 2017), which halves the step on a training-loss
        plateau. Small fits train every epoch on all their data; a step
        that stays large keeps them circling near a minimum (UCR ACSF1:
        training loss 0.43 after 200 epochs, 0.34-0.38 halved).
        """
        if not self._halve_step_on_plateau:
            return []
        rate = _backend.constant_learning_rate(model.optimizer)
        if rate is None:
            return []
        return [
            keras.callbacks.ReduceLROnPlateau(
                monitor="loss",
                factor=0.5,
                patience=PLATEAU_PATIENCE * self.n_iter_no_change,
                min_delta=self.tol,
                min_lr=rate * PLATEAU_FLOOR,
            )
        ]

    def _holds_out_validation(self, n):
        """Whether this fit early-stops on a held-out validation set.

        A validation set smaller than ``MIN_VALIDATION_SAMPLES`` cannot rank
        epochs: its loss is dominated by one or two rows, and restoring the
        "best" epoch can bring back a model from before training took off
        (seen on the 50-series UCR GunPoint set, whose 10% is 5 series). Such
        small fits train every epoch on all the data, as with
        ``early_stopping=False``.
        """
        return (
            self.early_stopping
            and math.ceil(self.validation_fraction * n) >= MIN_VALIDATION_SAMPLES
        )

    def _validation_split(self, y, n, rng):
        """Shuffled split, stratified by class where the classes allow it.

        Keras's own ``validation_split`` takes the *last* rows: on data sorted
        by class (many benchmark sets are) that validates on one class only.
        """
        n_val = max(1, math.ceil(self.validation_fraction * n))
        if n_val >= n:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves no "
                f"training data out of {n} samples; lower it or set "
                "early_stopping=False."
            )
        strata = y if self._stratified_validation else None
        if strata is not None:
            labels, counts = np.unique(strata, return_counts=True)
            if counts.min() >= 2 and len(labels) <= min(n_val, n - n_val):
                from sklearn.model_selection import StratifiedShuffleSplit

                split = StratifiedShuffleSplit(
                    n_splits=1, test_size=n_val, random_state=rng
                )
                train_idx, val_idx = next(split.split(np.zeros(n), strata))
                return train_idx, val_idx
        perm = rng.permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])

    def _record_history(self, history, stopper):
        offset = self.n_iter_
        # a new dict: a fit that fails after this leaves the old one intact
        self.history_ = {
            key: self.history_.get(key, []) + [float(v) for v in values]
            for key, values in history.items()
        }
        self.n_iter_ += len(history["loss"])
        self.loss_curve_ = list(self.history_["loss"])
        scores = self._validation_score(self.history_)
        self.validation_scores_ = scores
        if stopper is not None and stopper.best_weights is not None:
            self.best_epoch_ = offset + int(stopper.best_epoch)
            self.best_validation_score_ = scores[self.best_epoch_]
        else:
            self.best_epoch_ = None
            self.best_validation_score_ = None

    def _validation_score(self, history):
        if "val_loss" not in history:
            return None
        return [-v for v in history["val_loss"]]

    def _recalibrate_batch_statistics(self, keras, model, X):
        """Set each batch normalisation's statistics to the training data's.

        During training, batch normalisation keeps moving averages of its
        inputs' mean and variance, which ``predict`` uses. They average
        over weights that kept changing, and over small noisy batches: on
        small sets whose batch statistics vary widely they were far from
        what the final weights give, and predictions suffered (UCR ACSF1,
        100 series: training accuracy at inference 0.73, test 0.63; with
        the statistics recomputed, 0.87 and 0.78). So after a fit, one pass
        over ``X`` in training mode recomputes them with the final weights,
        as stochastic weight averaging does (Izmailov et al., 2018). The
        pass runs in chunks of ``PREDICT_CHUNK`` rows, whose statistics are
        pooled, each weighted by its rows (one chunk: exactly the data's
        statistics). A network without batch normalisation is left as it
        is.
        """
        layers = _batch_normalizations(keras, model)
        if not layers:
            return
        # At momentum 0 a pass leaves each chunk's own statistics in the
        # moving averages, pooled here; a compiled pass
        # (_backend.training_pass) then never depends on a momentum that
        # changes from chunk to chunk. Lengths are rounded as for training
        # where the backend compiles per shape: padded steps are masked out
        # of the statistics.
        momenta = [layer.momentum for layer in layers]
        run = _backend.training_pass(model)
        lengths, n, round_length = self._lengths(X), n_rows(X), self._round_length()
        # one chunk: the pass leaves exactly its statistics, nothing to pool
        pooled = n > PREDICT_CHUNK
        # per layer: row-weighted sums of the chunks' means and second moments
        sums = [[0.0, 0.0] for _ in layers]
        try:
            for layer in layers:
                layer.momentum = 0.0
            for start in range(0, n, PREDICT_CHUNK):
                rows = np.arange(start, min(n, start + PREDICT_CHUNK))
                (chunk,) = batch_rows(rows, lengths, X, round_length=round_length)
                run(list(chunk) if isinstance(chunk, tuple) else chunk)
                if not pooled:
                    continue
                for total, layer in zip(sums, layers):
                    mean, var = (
                        np.asarray(keras.ops.convert_to_numpy(v), np.float64)
                        for v in (layer.moving_mean, layer.moving_variance)
                    )
                    total[0] += len(rows) * mean
                    total[1] += len(rows) * (var + mean**2)
        finally:
            for layer, momentum in zip(layers, momenta):
                layer.momentum = momentum
        if not pooled:
            return
        for (mean, square), layer in zip(sums, layers):
            mean, square = mean / n, square / n
            # the pooled variance: within chunks and between their means
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(np.maximum(square - mean**2, 0.0))


def _batch_normalizations(keras, model):
    """The batch normalisation layers of ``model``, nested models included."""
    found = []
    for layer in getattr(model, "layers", ()):
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        else:
            found.extend(_batch_normalizations(keras, layer))
    return found


#: An epoch's training loss this many times its value at the start (or
#: over this many times 1, for small starting losses) means divergence.
DIVERGENCE_FACTOR = 1e6


def _diverging(logs, weights, start_loss):
    """Whether an epoch's logs or weights show that training diverged.

    Non-finite values, or a finite loss grown a millionfold: a softmax
    output read through its logits (as Keras does) gives losses of 1e11
    rather than NaN when the steps are far too large.
    """
    if not all(np.isfinite(v) for v in logs.values()):
        return True
    if not all(np.isfinite(w).all() for w in weights):
        return True
    return logs["loss"] > DIVERGENCE_FACTOR * max(start_loss, 1.0)


def _subset(lengths, rows):
    """``lengths`` of ``rows`` (either may be ``None``: all rows, no lengths)."""
    return lengths if lengths is None or rows is None else lengths[rows]


def _copy_callback(callback, i):
    """A fresh copy of a user callback for one fit.

    Attributes that cannot be copied (locks, events, open files) are shared
    with the user's callback, with a warning that names them: a
    ``threading.Event`` that another thread sets to stop training then still
    reaches the copy.
    """
    try:
        return copy.deepcopy(callback)
    except Exception:
        pass
    memo, shared = {}, []
    for name, value in vars(callback).items():
        try:
            copy.deepcopy(value)
        except Exception:
            memo[id(value)] = value
            shared.append(f"{name} ({type(value).__name__})")
    copied = copy.deepcopy(callback, memo)
    warnings.warn(
        f"callbacks[{i}] ({type(callback).__name__}) cannot be fully copied: "
        f"{', '.join(shared)}. The copy this fit uses shares these attributes "
        "with your callback; the rest is copied.",
        UserWarning,
        stacklevel=5,
    )
    return copied
