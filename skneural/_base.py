"""The one shared base of every skneural estimator.

An estimator subclass says *what* network it wants and how its data maps to
network inputs and targets (the ``_prepare_*`` and ``_build_network``
hooks). This module knows *how* to fit any network: parameter validation,
seeding, building and compiling, which network trains (a shell, or
``model_`` when training continues), fast prediction and pickling. The
epoch loop itself (validation split, early stopping, callbacks, history) is
:mod:`skneural._training`; the row and batch bookkeeping is
:mod:`skneural._batching`; the classifiers' labels are
:mod:`skneural._classifier` and :mod:`skneural._labels`.

Nothing here imports Keras at module level: it is imported (through
:mod:`skneural._backend`) the first time a model is built, used or unpickled.
"""

import json
import secrets
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_random_state

from . import _backend, _devices, _shells, _streaming
from ._batching import (
    PREDICT_CHUNK,
    distinct_rows,
    merge_moments,
    n_rows,
    row_chunks,
    take,
)
from ._docs import API_PAGE
from ._training import TrainingLoop

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


class NeuralEstimatorBase(TrainingLoop, BaseEstimator):
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

    # The "?" of the HTML repr opens this estimator's API page (as
    # scikit-learn's own estimators link to theirs).
    _doc_link_module = "skneural"
    _doc_link_template = API_PAGE

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
        "distribution": [
            None,
            StrOptions({_devices.DATA_PARALLEL}),
            HasMethods(["scope", "get_data_layout"]),
        ],
    }

    #: Classifiers split their validation data stratified by class.
    _stratified_validation = False

    #: Prepared inputs are padded sequences (mask last): batches are grouped
    #: by length and padded only to their own longest sequence.
    _sequence_input = False

    #: The step ``learning_rate=None`` means with ``optimizer="adam"`` (the
    #: default); ``None`` here: Adam's own 0.001.
    _adam_learning_rate = None

    #: Halve the step when the training loss stops falling
    #: (:meth:`TrainingLoop._plateau_schedule`); off here.
    _halve_step_on_plateau = False

    # ------------------------------------------------------------------ fit

    #: Whether ``fit`` learns from ``X`` alone (the autoencoders): then
    #: ``validation_data`` is ``X_val``, not ``(X_val, y_val)``.
    _unsupervised = False

    def _fit(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        partial=False,
        classes=None,
        validation_data=None,
    ):
        """Validate everything, then train (the one fit loop).

        ``partial=True`` trains one epoch on all of ``X`` (``partial_fit``).
        ``validation_data`` is ``fit``'s parameter: held-out data of the
        user's, watched instead of a split of ``X``.
        A fit that fails (bad input, divergence in its first epoch, an
        interruption before any epoch ended) leaves the estimator as it was
        before the call: unfitted, or with its earlier fitted state.
        """
        self._validate_params()
        before = dict(self.__dict__)
        try:
            self._fit_unchecked(
                X,
                y,
                sample_weight,
                partial=partial,
                classes=classes,
                validation_data=validation_data,
            )
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        return self

    def _fit_unchecked(self, X, y, sample_weight, *, partial, classes, validation_data):
        continuing = (partial or self.warm_start) and hasattr(self, "model_")
        reset = not continuing
        keras = _backend.import_keras()
        self._check_params(keras)
        distribution, n_devices = _devices.resolve(self.distribution)
        if _streaming.is_dataset(X):
            # X_net is the stream; the network is laid out on its first batch
            X_net, first = _streaming.prepare_fit(
                self,
                X,
                y,
                sample_weight,
                reset=reset,
                classes=classes,
                split=validation_data is None and not partial,
            )
            y_net = weights = None
        else:
            X_net = self._prepare_X(X, reset=reset)
            y_net = self._prepare_y(y, X_net, reset=reset, classes=classes)
            weights = self._sample_weights(sample_weight, y_net, n_rows(X_net))
            first = (X_net, y_net, weights)
        validation = (
            None
            if validation_data is None
            else self._prepare_validation(validation_data)
        )
        if isinstance(validation, _streaming.BatchStream):
            # weighted as the training data (as a split of it would be)
            validation.all_y = getattr(X_net, "all_y", None)

        # Every random draw of the fit comes from this seed, passed
        # explicitly: the network's initialisers and dropout (the builders
        # seed each layer), the validation split and the shuffles. No global
        # generator is seeded or drawn from, so concurrent threads cannot
        # change a fit, nor a fit the user's random streams.
        seed = self._fit_seed(continuing)
        # Batch statistics recomputed over the data after training
        # (_recalibrate_batch_statistics). Not after partial_fit: it sees one
        # batch, whose statistics would replace the whole data's; a dataset
        # keeps the moving averages.
        recalibrate = not partial and not isinstance(X_net, _streaming.BatchStream)
        # Under a distribution the variables are laid out on its devices as
        # they are made (those of a shell too: its key names the devices).
        with _devices.scope(distribution):
            if not continuing:
                self.model_ = self._new_network(*first[:2], seed)
                self._initialize_network(self.model_, X_net)
                self.history_ = {}
                self.n_iter_ = 0
            if not self.model_.compiled:  # new, or restored from a pickle
                self._compile(self.model_, keras)
            devices = _devices.shell_key(distribution)
            if continuing or devices is False or not self._reuses_shells(self.model_):
                # model_ holds the optimizer state to continue from (or may
                # not share a shell): train it.
                history, stopper = self._train(
                    keras,
                    self.model_,
                    X_net,
                    y_net,
                    weights,
                    seed,
                    partial=partial,
                    validation=validation,
                )
                if recalibrate:
                    self._recalibrate_batch_statistics(keras, self.model_, X_net)
            else:
                history, stopper = self._train_shell(
                    keras,
                    X_net,
                    y_net,
                    weights,
                    seed,
                    partial,
                    validation,
                    first,
                    devices,
                    recalibrate=recalibrate,
                )
        self._record_history(history, stopper)
        self.n_devices_ = n_devices
        self._fit_finished(X_net)

    def _new_network(self, X, y, seed):
        """``_build_network``'s network, its layers named as the last fit's
        were (:func:`~skneural._backend.repeatable_names`: on TensorFlow, a
        new name per fit costs memory for good)."""
        with _backend.repeatable_names():
            return self._build_network(X, y, seed)

    def _compile(self, model, keras):
        # the optimizer and metrics named as last fit's too
        with _backend.repeatable_names():
            model.compile(
                optimizer=self._make_optimizer(keras),
                loss=self._loss(model),
                metrics=self._metrics(),
            )

    def _train_shell(
        self,
        keras,
        X,
        y,
        weights,
        seed,
        partial,
        validation,
        first,
        devices,
        *,
        recalibrate,
    ):
        """Train from ``model_``'s initial state on a shell, then copy back.

        A shell is a compiled copy of the network whose traced (JAX:
        compiled) step functions are kept from fit to fit of the same
        architecture (:mod:`skneural._shells`): the fits of a search trace
        once, not once each. ``model_`` ends with the trained weights and
        optimizer state, as if it had been trained itself. With
        ``recalibrate``, the batch statistics are recomputed on the shell
        too, where the pass's compilation (JAX) is kept for the next fit.
        """
        key = _shells.architecture_key(
            self.model_,
            tuple(take(a, slice(0, 1)) for a in first),
            self._lengths(first[0]) is not None,
            [*self._estimator_key(keras), devices],
        )
        shell = _shells.borrow(key)
        if shell is None:
            network = self._new_network(*first[:2], seed)
            self._compile(network, keras)
            shell = _shells.Shell(network)
        try:
            shell.load(self.model_)
            result = self._train(
                keras,
                shell.model,
                X,
                y,
                weights,
                seed,
                partial=partial,
                validation=validation,
            )
            if recalibrate:
                self._recalibrate_batch_statistics(keras, shell.model, X)
            shell.store(self.model_)
        finally:
            # whatever state a failed fit left is replaced by the next load
            _shells.give_back(key, shell)
        return result

    def _initialize_network(self, model, X):
        """Hook: set a new network's starting weights from the data.

        Called once per new ``model_`` (not for the shells, which load
        ``model_``'s state), so a costly start (a PCA) is paid once.
        """

    def _reuses_shells(self, model):
        """Whether fits of ``model`` may train on a shared shell.

        True for the fixed architectures, whose config says all they
        compute; see :mod:`skneural._shells`.
        """
        return True

    def _fit_finished(self, X):
        """Hook: fitted state computed from the trained network (default none).

        ``X`` is the prepared training input.
        """

    def _check_params(self, keras):
        """Parameter checks beyond ``_validate_params``, before any data.

        The one home for checks that ``_parameter_constraints`` cannot
        express: those that need Keras (an activation's name) or look inside
        a value (every size in a tuple positive). Subclasses extend it.
        Checks of parameters against the data (``n_components`` below the
        number of features) belong in ``_prepare_X``, which sees the data.
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

    def _running(self, key, value, merge):
        """``value``, merged by ``merge(before, value)`` with the batches
        before in a dataset's gathering pass (:func:`_streaming.gather`,
        which prepares every batch with ``reset=True``), so what
        ``_prepare_X`` learns under ``key`` is the whole data's. Otherwise
        ``value`` itself."""
        state = getattr(self, "_gathering", None)
        if state is None:
            return value
        if key in state:
            value = merge(state[key], value)
        state[key] = value
        return value

    def _min_samples(self, reset):
        """Samples a prepared ``X`` needs: 2 to fit, 1 to predict (and per
        batch of a gathering pass, which checks the total)."""
        return 2 if reset and getattr(self, "_gathering", None) is None else 1

    def _fit_scaling(self, values, axis=0, *, pooled=False):
        """Learn the input standardisation: ``mean_`` and ``scale_``.

        The one home of the input statistics. Every estimator standardises
        its inputs inside the network, ``(x - mean_) / scale_``, with
        statistics computed here from the prepared training values, reduced
        over ``axis``. In float64: the variance of large values does not fit
        float32. A constant feature gets scale 1 (it is centred, not
        divided by 0). ``pooled=True``: one scale for every feature, the
        root of their mean variance (each feature still gets its own mean).
        In a dataset's gathering pass the moments are merged over the
        batches (:meth:`_running`).
        """
        from .architectures._common import scale_from_variance

        # Chunk by chunk (moments merged as Chan et al.): NumPy's var makes a
        # float64 copy of all the values, twice the size of float32 data,
        # and a memory-mapped X would be read into memory whole.
        axis = (axis,) if isinstance(axis, Integral) else tuple(axis)
        # nothing merged yet: merging the first block gives that block's
        # moments exactly (weights 1 and 0)
        count, mean, m2 = 0, 0.0, 0.0
        for rows in row_chunks(values.shape[0], int(np.prod(values.shape[1:]))):
            block = np.asarray(values[rows], dtype=np.float64)
            n = int(np.prod([block.shape[a] for a in axis]))  # values per statistic
            block_mean = block.mean(axis=axis, keepdims=True)
            block_m2 = ((block - block_mean) ** 2).sum(axis=axis, keepdims=True)
            count, mean, m2 = merge_moments(
                (count, mean, m2), (n, block_mean, block_m2)
            )
        count, mean, m2 = self._running("moments", (count, mean, m2), merge_moments)
        variance = np.squeeze(m2, axis=axis) / count
        if pooled:
            variance = np.full_like(variance, variance.mean())
        self.mean_ = np.squeeze(mean, axis=axis)
        self.scale_ = scale_from_variance(variance)

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
        elif self.optimizer == "adam" and self._adam_learning_rate:
            # the estimator's own tuned step, for the default optimizer only:
            # another optimizer, or an instance, keeps its own rate
            optimizer.learning_rate = self._adam_learning_rate
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

    def _sample_weights(self, sample_weight, y, n, *, all_y=None):
        """Per-sample weights of prepared targets ``y`` (``None``: all 1).

        ``all_y``: the prepared targets of the whole data when ``y`` is one
        batch of a dataset (the classifiers' ``class_weight="balanced"``
        counts the classes in all of it).
        """
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
        model = self.model_ if model is None else model
        fn = _backend.inference_function(model, self._inference_sharing(model))
        if n_rows(X) == 1:
            return fn(X)
        first, inverse = distinct_rows(X)
        X = take(X, first)
        n = len(first)
        if n <= PREDICT_CHUNK:
            return take(fn(X), inverse)
        parts = [
            fn(take(X, slice(start, start + PREDICT_CHUNK)))
            for start in range(0, n, PREDICT_CHUNK)
        ]
        return np.concatenate(parts, axis=0)[inverse]

    def _inference_sharing(self, model):
        """For :func:`_backend.inference_function`: ``share(make)``, the
        traced predictions of the networks that compute what ``model``
        computes, kept by :func:`_shells.shared_inference` (shared with the
        networks of other fits, as shells are); else None."""
        if not self._reuses_shells(model) or getattr(self, "n_devices_", 1) != 1:
            return None
        import keras

        def share(make):
            key = _shells.network_key(model, self._estimator_key(keras))
            return _shells.shared_inference(key, make)

        return share

    def _estimator_key(self, keras):
        """What shared traces depend on beyond the network: the estimator
        class and the backend (:mod:`skneural._shells`)."""
        return [type(self).__module__, type(self).__qualname__, keras.backend.backend()]

    # ------------------------------------------------------------- pickling

    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state:
            state = dict(state)
            state["model_"] = _SerializedModel(serialize_model(self.model_))
        return state

    def __setstate__(self, state):
        model = state.get("model_")
        if isinstance(model, _SerializedModel):
            state = dict(state)
            state["model_"] = deserialize_model(model.payload)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class _SerializedModel:
    """Marks a pickled Keras model inside an estimator's state."""

    def __init__(self, payload):
        self.payload = payload


def check_positive_ints(name, value, *, allow_empty=False):
    """Raise a ValueError unless ``value`` is a sequence of positive ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if (not values and not allow_empty) or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise ValueError(
            f"{name} must be a tuple of positive ints. Received: {name}={value!r}"
        )


def serialize_model(model):
    """Model -> a picklable dict (architecture as JSON, weights as arrays).

    Keras models do not pickle across backends or TensorFlow versions
    reliably; JSON config plus NumPy weights is small, fast, and portable.
    The optimizer state is not kept: a model restored from a pickle is
    recompiled with a fresh optimizer if training continues.
    """
    config = json.loads(model.to_json())
    # The loss and metrics may hold live objects (a CRF loss holds its
    # layer); the estimator compiles again when it trains again.
    config.pop("compile_config", None)
    return {
        "config": json.dumps(config),
        "weights": [np.asarray(w) for w in model.get_weights()],
    }


def deserialize_model(state):
    """Inverse of :func:`serialize_model`."""
    keras = _backend.import_keras()
    # Importing the package's layers registers their serialisation names.
    from . import architectures  # noqa: F401

    # named as the last restored model was: on TensorFlow, new names cost
    # memory for good (estimators come back from every worker's fit)
    with _backend.repeatable_names():
        model = keras.models.model_from_json(state["config"])
    model.set_weights(state["weights"])
    return model
