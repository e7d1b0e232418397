"""The one shared base of every skneural estimator.

An estimator subclass says *what* network it wants and how its data maps to
network inputs and targets (the ``_prepare_*`` and ``_build_network``
hooks). This module knows *how* to train any network: parameter validation,
seeding, the validation split, compiling, early stopping, history, warm
starts, fast prediction and pickling. There is no other copy of the fit loop.

Nothing here imports Keras at module level: it is imported (through
:mod:`skneural._backend`) the first time a model is built, used or unpickled.
"""

import copy
import math
import secrets
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    column_or_1d,
)

from . import _backend, _shells
from ._backend import _accumulate, _n_rows

#: Optimizer names accepted as strings (Keras's own identifiers).
OPTIMIZERS = frozenset(
    {
        "adam",
        "adamw",
        "adamax",
        "nadam",
        "sgd",
        "rmsprop",
        "adagrad",
        "adadelta",
        "ftrl",
        "lion",
    }
)

#: Rows per compiled inference call: large inputs are predicted in chunks of
#: this size, which bounds memory and reuses one traced function.
PREDICT_CHUNK = 2048

#: Smallest validation set early stopping is done on; smaller fits (under
#: 191 rows at the default ``validation_fraction=0.1``) train all epochs.
MIN_VALIDATION_SAMPLES = 20


class NeuralEstimatorBase(BaseEstimator):
    """Base class of all skneural estimators (not for direct use).

    Subclasses implement:

    - ``_prepare_X(X, *, reset)``: validate ``X`` and return network inputs
      (an array, or a tuple of arrays); with ``reset=True`` record what the
      data looks like (``n_features_in_`` and the like).
    - ``_prepare_y(y, X, *, reset, classes)``: validate ``y`` and return the
      network's training targets.
    - ``_build_network(X, y, seed)``: return an uncompiled Keras model for
      the prepared training data, every random layer and initialiser seeded
      from the int ``seed`` (the builders in :mod:`skneural.architectures`
      take it as ``seed=``).
    - ``_loss(model)`` and ``_metrics()``: for ``model.compile`` (a loss
      may read ``model``'s layers).
    - ``_validation_score(history)``: the per-epoch validation score list
      reported as ``validation_scores_`` (higher is better).
    """

    _parameter_constraints = {
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "optimizer": [StrOptions(set(OPTIMIZERS)), HasMethods(["apply_gradients"])],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    #: Classifiers split their validation data stratified by class.
    _stratified_validation = False

    #: Prepared inputs are padded sequences (mask last): batches are grouped
    #: by length and padded only to their own longest sequence.
    _sequence_input = False

    # ------------------------------------------------------------------ fit

    def _fit(self, X, y=None, sample_weight=None, *, partial=False, classes=None):
        """Validate everything, then train (the one fit loop).

        ``partial=True`` trains one epoch on all of ``X`` (``partial_fit``).
        A fit that fails (bad input, divergence in its first epoch, an
        interruption before any epoch ended) leaves the estimator as it was
        before the call: unfitted, or with its earlier fitted state.
        """
        self._validate_params()
        before = dict(self.__dict__)
        try:
            self._fit_unchecked(X, y, sample_weight, partial=partial, classes=classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _fit_unchecked(self, X, y, sample_weight, *, partial, classes):
        continuing = (partial or self.warm_start) and hasattr(self, "model_")
        reset = not continuing
        X_net = self._prepare_X(X, reset=reset)
        y_net = self._prepare_y(y, X_net, reset=reset, classes=classes)
        weights = self._sample_weights(sample_weight, X, y_net, _n_rows(X_net))
        keras = _backend.import_keras()
        self._check_params(keras)

        # Every random draw of the fit comes from this seed, passed
        # explicitly: the network's initialisers and dropout (the builders
        # seed each layer), the validation split and the shuffles. No global
        # generator is seeded or drawn from, so concurrent threads cannot
        # change a fit, nor a fit the user's random streams.
        seed = self._fit_seed(continuing)
        if not continuing:
            self.model_ = self._build_network(X_net, y_net, seed)
            self.history_ = {}
            self.n_iter_ = 0
        if not self.model_.compiled:  # new, or restored from a pickle
            self._compile(self.model_, keras)
        if continuing:
            # model_ holds the optimizer state to continue from: train it.
            history, stopper = self._train(
                keras, self.model_, X_net, y_net, weights, seed, partial=partial
            )
        else:
            history, stopper = self._train_shell(
                keras, X_net, y_net, weights, seed, partial=partial
            )
        self._record_history(history, stopper)
        self._fit_finished(X_net)

    def _compile(self, model, keras):
        model.compile(
            optimizer=self._make_optimizer(keras),
            loss=self._loss(model),
            metrics=self._metrics(),
        )

    def _train_shell(self, keras, X, y, weights, seed, *, partial):
        """Train from ``model_``'s initial state on a shell, then copy back.

        A shell is a compiled copy of the network whose traced (JAX:
        compiled) step functions are kept from fit to fit of the same
        architecture (:mod:`skneural._shells`): the fits of a search trace
        once, not once each. ``model_`` ends with the trained weights and
        optimizer state, as if it had been trained itself.
        """
        first = slice(0, 1)
        key = _shells.architecture_key(
            self.model_,
            tuple(_take(a, first) for a in (X, y, weights)),
            self._lengths(X) is not None,
            [type(self).__module__, type(self).__qualname__, keras.backend.backend()],
        )
        shell = _shells.borrow(key)
        if shell is None:
            network = self._build_network(X, y, seed)
            self._compile(network, keras)
            shell = _shells.Shell(network)
        try:
            shell.load(self.model_)
            result = self._train(
                keras, shell.model, X, y, weights, seed, partial=partial
            )
            shell.store(self.model_)
        finally:
            # whatever state a failed fit left is replaced by the next load
            _shells.give_back(key, shell)
        return result

    def _fit_finished(self, X):
        """Hook: fitted state computed from the trained network (default none).

        ``X`` is the prepared training input.
        """

    def _check_params(self, keras):
        """Checks of parameters that need Keras, run before anything is built.

        The one home for such checks (``_validate_params`` covers types and
        ranges); subclasses extend it.
        """
        activation = self.get_params().get("activation")
        if isinstance(activation, str):
            try:
                keras.activations.get(activation)
            except ValueError:
                raise ValueError(
                    "activation must name a Keras activation, such as 'relu', "
                    f"'tanh', 'gelu' or 'sigmoid'. Received: activation={activation!r}"
                ) from None

    def _train(self, keras, model, X, y, weights, seed, *, partial):
        """The epoch loop: shuffled mini-batches, validation, callbacks.

        Written over single training steps (``_backend.batch_trainer``) and
        ``test_on_batch`` rather than ``model.fit``: shuffling comes from a
        NumPy generator seeded here (no backend global seed to set), small
        fits do not pay ``tf.data``'s per-epoch iterator setup (about 10 ms
        per iterator, two per epoch with validation: most of a small fit),
        and the loop is the same on every backend. Keras callbacks (early
        stopping, progress bar, the user's) are driven as ``fit`` drives
        them.
        """
        rng = np.random.RandomState(seed % (2**32))
        stopper = None
        validation = None
        if partial or not self._holds_out_validation(_n_rows(X)):
            epochs = 1 if partial else self.epochs
            X_tr, y_tr, w_tr = X, y, weights
        else:
            epochs = self.epochs
            train_idx, val_idx = self._validation_split(y, _n_rows(X), rng)
            X_tr, y_tr, w_tr = (_take(a, train_idx) for a in (X, y, weights))
            validation = tuple(_take(a, val_idx) for a in (X, y, weights))
            stopper = keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=self.n_iter_no_change,
                min_delta=self.tol,
                restore_best_weights=True,
            )
        n = _n_rows(X_tr)
        batch_size = min(200, n) if self.batch_size == "auto" else self.batch_size
        batch_size = min(batch_size, n)
        steps = math.ceil(n / batch_size)

        history = keras.callbacks.History()
        user = [_copy_callback(cb, i) for i, cb in enumerate(self.callbacks or [])]
        callbacks = keras.callbacks.CallbackList(
            user + ([stopper] if stopper else []) + [history],
            add_progbar=self.verbose != 0,
            model=model,
            verbose=self.verbose,
            epochs=epochs,
            steps=steps,
        )
        lengths = self._lengths(X_tr)
        trainer = _backend.batch_trainer(
            model,
            *(_take(a, slice(0, batch_size)) for a in (X_tr, y_tr, w_tr)),
            dynamic_length=lengths is not None,
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
                for step, idx in enumerate(_batches(rng, n, batch_size, lengths)):
                    callbacks.on_train_batch_begin(step)
                    trainer.train(*_batch(idx, lengths, X_tr, y_tr, w_tr))
                    if start_loss is None:
                        start_loss = trainer.batch_logs()["loss"]
                    # Per-batch logs cost a copy to Python: only for the progbar.
                    callbacks.on_train_batch_end(
                        step, trainer.batch_logs() if self.verbose else None
                    )
                logs = trainer.epoch_logs()
                current = model.get_weights()
                if _diverging(logs, current, start_loss):
                    model.set_weights(last_good)
                    self._diverged(model, X, epoch, logs, stop=completed > 0)
                    break
                if validation is not None:
                    val_logs = self._evaluate(model, *validation, batch_size)
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
        return history.history, stopper

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

    def _evaluate(self, model, X, y, weights, batch_size):
        """Loss and metrics on held-out data, in large batches.

        Sequences are evaluated in batches of ``batch_size`` similar lengths,
        each padded only to its own longest sequence.
        """
        n = _n_rows(X)
        lengths = self._lengths(X)
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
            x, y_b, w_b = _batch(idx, lengths, X, y, weights)
            batch_logs = model.test_on_batch(
                x, y_b, sample_weight=w_b, return_dict=True
            )
            _accumulate(totals, batch_logs, len(idx))
        return {k: v / n for k, v in totals.items()}

    def _lengths(self, X):
        """Real length of each prepared sequence; ``None`` for fixed-size rows.

        Sequence estimators (``_sequence_input = True``) give their prepared
        inputs as a tuple whose last array is the ``(n, timesteps)`` mask.
        """
        if not self._sequence_input:
            return None
        return X[-1].sum(axis=1)

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
        strata = self._strata(y) if self._stratified_validation else None
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

    def _strata(self, y):
        """Labels to stratify the validation split by (classifiers)."""
        return y

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

    def _make_optimizer(self, keras):
        if isinstance(self.optimizer, str):
            optimizer = keras.optimizers.get(self.optimizer)
        else:
            # A fresh copy per fit: an optimizer instance holds the state of
            # the model it trained, and clones must not share it.
            optimizer = self.optimizer.__class__.from_config(
                self.optimizer.get_config()
            )
        if self.learning_rate is not None:
            optimizer.learning_rate = self.learning_rate
        return optimizer

    def _fit_seed(self, continuing):
        """An int seed for this fit, drawn from ``random_state``.

        With an int, the first fit always gets the same seed (reproducible);
        continued training (warm start, ``partial_fit``) mixes in the epochs
        already run so that later calls do not replay the same shuffles.
        ``None`` draws fresh entropy without touching NumPy's global state.
        """
        rs = self.random_state
        if rs is None:
            return secrets.randbits(31)
        if isinstance(rs, Integral):
            if not continuing:
                return int(rs) % (2**31)
            mixed = np.random.SeedSequence([int(rs), self.n_iter_])
            return int(mixed.generate_state(1)[0] % (2**31))
        return int(check_random_state(rs).randint(2**31 - 1))

    def _sample_weights(self, sample_weight, X, y, n):
        if sample_weight is None:
            return None
        return _check_sample_weight(
            sample_weight, np.empty(n), dtype=np.float32, ensure_non_negative=True
        )

    # -------------------------------------------------------------- predict

    def _forward(self, X, model=None):
        """Outputs of ``model`` (default ``model_``) for prepared inputs.

        One compiled inference function (traced once per model) serves
        small inputs in one call and large ones in chunks of
        ``PREDICT_CHUNK`` rows, which bounds memory.

        The network sees the distinct rows of ``X`` in a canonical order
        (sorted by their bytes), and each copy of a row gets that row's
        output. float32 kernels sum in an order that depends on where a row
        sits in a batch and on the CPU (on AVX2 machines a row's outputs
        moved by one unit in the last place when the batch was shuffled), so
        without this the same rows in another order gave slightly different
        results. Now a prediction does not depend on the order of the rows,
        and identical rows always get identical outputs.
        """
        fn = _backend.inference_function(self.model_ if model is None else model)
        if _n_rows(X) == 1:
            return fn(X)
        first, inverse = _distinct_rows(X)
        X = _take(X, first)
        n = len(first)
        if n <= PREDICT_CHUNK:
            return _take(fn(X), inverse)
        parts = [
            fn(_take(X, slice(start, start + PREDICT_CHUNK)))
            for start in range(0, n, PREDICT_CHUNK)
        ]
        return np.concatenate(parts, axis=0)[inverse]

    # ------------------------------------------------------------- pickling

    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state:
            state = dict(state)
            state["model_"] = _SerializedModel(_backend.serialize_model(self.model_))
        return state

    def __setstate__(self, state):
        model = state.get("model_")
        if isinstance(model, _SerializedModel):
            state = dict(state)
            state["model_"] = _backend.deserialize_model(model.payload)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class _SerializedModel:
    """Marks a pickled Keras model inside an estimator's state."""

    def __init__(self, payload):
        self.payload = payload


class NeuralClassifierBase(ClassifierMixin, NeuralEstimatorBase):
    """Shared classifier behaviour: labels, class weights, probabilities."""

    _parameter_constraints = {
        **NeuralEstimatorBase._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _stratified_validation = True

    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like
            Training inputs (see the class docstring for accepted shapes).
        y : array-like of shape (n_samples,)
            Class labels (int, str, bool, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights in the loss; multiplied with ``class_weight``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on ``X, y`` (no early stopping).

        Parameters
        ----------
        X : array-like
            Training inputs.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like, default=None
            All classes that can appear; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "model_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit. "
                "Received: classes=None"
            )
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities; columns follow ``classes_``, rows sum to 1.

        Parameters
        ----------
        X : array-like
            Inputs shaped as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        proba = self._forward(self._prepare_X(X, reset=False)).astype(np.float64)
        # float32 softmax rows can miss 1 by ~1e-7; renormalise in float64.
        proba /= proba.sum(axis=-1, keepdims=True)
        return proba

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like
            Inputs shaped as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=-1)]

    def _prepare_y(self, y, X, *, reset, classes=None):
        y = self._check_labels(y, _n_rows(X))
        if reset:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 "
                    "classes to learn from, but the data contains only one "
                    f"class: {self.classes_[0]!r}."
                )
        return self._encode_labels(y)

    def _check_labels(self, y, n):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the "
                "target y is None."
            )
        y = column_or_1d(y, warn=True)
        if y.dtype == object:
            kinds = {isinstance(label, str) for label in y}
            if len(kinds) > 1:
                # scikit-learn's own check fails inside NumPy's sort here
                raise ValueError(
                    "y mixes string labels with labels of other types (numbers, "
                    "None, ...); expected labels of one kind. Received: y of "
                    f"types {sorted({type(label).__name__ for label in y})}"
                )
        check_classification_targets(y)
        if len(y) != n:
            raise ValueError(
                f"X and y have inconsistent numbers of samples: X has {n}, "
                f"y has {len(y)}."
            )
        return y

    def _encode_labels(self, y):
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unseen = self.classes_[idx] != y
        if np.any(unseen):
            raise ValueError(
                f"y contains labels not seen in the first fit: "
                f"{np.unique(y[unseen]).tolist()}; expected one of "
                f"{self.classes_.tolist()}."
            )
        return idx.astype(np.int32)

    def _sample_weights(self, sample_weight, X, y, n):
        weights = super()._sample_weights(sample_weight, X, y, n)
        if self.class_weight is None:
            return weights
        cw = self._class_weight_vector(y)[y].astype(np.float32)
        return cw if weights is None else weights * cw

    def _class_weight_vector(self, y):
        """Weight per class index; ``y`` holds the encoded labels being fit."""
        from sklearn.utils.class_weight import compute_class_weight

        if self.class_weight == "balanced":
            present = np.unique(y)
            w = np.ones(len(self.classes_))
            w[present] = compute_class_weight("balanced", classes=present, y=y)
            return w
        check_class_weight_labels(self.class_weight, self.classes_)
        return np.array([self.class_weight.get(c, 1.0) for c in self.classes_])

    def _metrics(self):
        return ["accuracy"]

    def _loss(self, model):
        return "sparse_categorical_crossentropy"

    def _validation_score(self, history):
        return list(history["val_accuracy"]) if "val_accuracy" in history else None


def check_class_weight_labels(class_weight, classes):
    """Raise a ValueError if a ``class_weight`` dict names an unknown label."""
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight has labels that are not in the data: "
            f"{sorted(map(str, unknown))}; expected labels among "
            f"{classes.tolist()}. Received: class_weight={class_weight!r}"
        )


def check_positive_ints(name, value, *, allow_empty=False):
    """Raise a ValueError unless ``value`` is a sequence of positive ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if (not values and not allow_empty) or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ValueError(
            f"{name} must be a tuple of positive ints. Received: {name}={value!r}"
        )


#: Batches of different lengths mixed into one window before it is sorted by
#: length and cut into batches ("bucketing" that keeps the batches random).
BUCKET_WINDOW = 16


def _batches(rng, n, batch_size, lengths=None):
    """Row indices of each mini-batch of one epoch, in training order.

    Fixed-size rows: a shuffled permutation cut into batches. Sequences of
    different lengths: the permutation is cut into windows of
    ``BUCKET_WINDOW`` batches, each window sorted by length and cut into
    batches, and the batches shuffled: each batch holds sequences of similar
    length, so one long sequence no longer pads every batch to its length.
    """
    order = rng.permutation(n)
    if lengths is not None and lengths.min() < lengths.max():
        window = batch_size * BUCKET_WINDOW
        for start in range(0, n, window):
            part = order[start : start + window]
            order[start : start + window] = part[
                np.argsort(lengths[part], kind="stable")
            ]
        batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _batch(idx, lengths, *arrays):
    """Rows ``idx`` of each of ``arrays``; sequences trimmed to the batch.

    The time axis (axis 1 of every array with one) is cut to the batch's
    longest sequence, rounded up to a power of two: a handful of distinct
    shapes per fit, so backends that compile per shape (JAX) compile a few
    times, not once per batch.
    """
    rows = [_take(a, idx) for a in arrays]
    if lengths is None:
        return rows
    longest = int(lengths[idx].max())
    keep = 1 << max(longest - 1, 0).bit_length()
    return [_trim_time(a, keep) for a in rows]


def _trim_time(X, length):
    if X is None:
        return None
    if isinstance(X, (list, tuple)):
        return type(X)(_trim_time(a, length) for a in X)
    return X[:, :length] if X.ndim >= 2 else X


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


#: Fixed odd multipliers of the row hash (one per 8 bytes of a row).
_HASH_MULTIPLIERS = np.random.RandomState(0).randint(
    1, 2**62, size=4096, dtype=np.int64
).astype(np.uint64) * np.uint64(2) + np.uint64(1)


def _distinct_rows(X):
    """Indices of the distinct rows of ``X`` in a canonical order, and the
    inverse.

    ``X`` is an array or a tuple/list/dict of arrays sharing the first axis;
    a row is the bytes of all of them. ``_take(_take(X, first), inverse)``
    gives ``X`` back. The order is that of a 64-bit hash of each row's bytes
    (ten times cheaper than sorting the bytes themselves: 20,000 rows of 784
    float32 values took 276 ms that way); rows with equal hashes are merged
    only if their bytes are equal.
    """
    arrays = list(X.values()) if isinstance(X, dict) else X
    if not isinstance(arrays, (list, tuple)):
        arrays = [arrays]
    n = _n_rows(X)
    parts = [np.ascontiguousarray(a).reshape(n, -1).view(np.uint8) for a in arrays]
    rows = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    pad = -rows.shape[1] % 8
    if pad:
        rows = np.concatenate([rows, np.zeros((n, pad), np.uint8)], axis=1)
    words = np.ascontiguousarray(rows).view(np.uint64)
    multipliers = np.resize(_HASH_MULTIPLIERS, words.shape[1])
    with np.errstate(over="ignore"):
        hashes = (words * multipliers).sum(axis=1, dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    new = np.ones(n, dtype=bool)
    same = np.flatnonzero(hashes[order[1:]] == hashes[order[:-1]])
    new[same + 1] = np.any(words[order[same + 1]] != words[order[same]], axis=1)
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _take(X, idx):
    """Rows ``idx`` of an array, or of each array in a tuple/list/dict."""
    if X is None:
        return None
    if isinstance(X, (list, tuple)):
        return type(X)(_take(a, idx) for a in X)
    if isinstance(X, dict):
        return {k: _take(v, idx) for k, v in X.items()}
    return X[idx]
