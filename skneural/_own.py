"""Your own Keras network, trained by skneural's loop: the shared part
(:class:`_OwnNetwork`) and :class:`NeuralClassifier`
(:class:`~skneural.NeuralRegressor` is in :mod:`skneural._regressor`).

The five fixed estimators build their networks in ``_build_network``; these
two take the network from the user (``model``: a callable returning a Keras
model, or a model to clone) and route ``model__<name>`` parameters to it, as
a ``Pipeline`` routes ``<step>__<name>``. Everything else (early stopping,
the validation split, weights, seeds, pickling, fast predict) is the shared
base's.
"""

import inspect

import numpy as np
from sklearn.utils.validation import validate_data

from . import _backend, _docs
from ._base import check_positive_ints
from ._batching import take
from ._classifier import NeuralClassifierBase

_PREFIX = "model__"

_OWN_PARAMS = """\
    model : callable, keras.Model or None, default=None
        The network. A callable returns a new, uncompiled ``keras.Model``;
        it gets the ``model__<name>`` parameters as ``name=`` arguments and,
        among ``n_features_in``, ``input_shape`` (one sample's shape),
        ``n_outputs``{n_classes} and ``seed`` (an int drawn from
        ``random_state``), those it names (all of them if it takes
        ``**kwargs``). A ``keras.Model`` is cloned, with fresh weights, for
        every fit. ``None``: an MLP of ``hidden_layer_sizes``, ``activation``
        and ``dropout``, with its inputs standardised. {output}
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layers of the default network (ignored with ``model``).
    activation : str, default="relu"
        Activation of the default network's hidden layers.
    dropout : float, default=0.1
        Dropout rate after each hidden layer of the default network. With
        your own ``model``, dropout is up to the network.
"""

_OWN_ATTRIBUTES = """\
    model_ : keras.Model
        The trained network.
    n_features_in_ : int
        Number of features (``X.shape[1]``).
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame.
    input_shape_ : tuple of int
        Shape of one sample of ``X``.
    mean_, scale_ : ndarray of shape (n_features_in_,) or None
        Input standardisation of the default network, learned in ``fit``
        (the network sees ``(x - mean_) / scale_``); ``None`` with your own
        ``model``, which sees ``X`` as it is."""

_ROUTING = """\
    **model_params
        ``model__<name>=value``: passed to ``model`` as ``name=value``.
        Tunable like any parameter: ``GridSearchCV(est, {{"model__units":
        [32, 64]}})``."""


class _OwnNetwork:
    """The ``model`` parameter, its ``model__*`` routing and the checks.

    Routed parameters live in ``_model_params`` (full names as keys): they
    are not attributes of their own, so nothing a user can name collides
    with the estimator's attributes, and ``get_params``/``set_params`` list
    and set them beside the explicit ones (so ``clone`` and searches work).
    """

    def _store_routed(self, routed):
        # Checked at fit, not here: scikit-learn's convention is that
        # __init__ and set_params never raise.
        self._model_params = dict(routed)

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self._model_params)
        return params

    def set_params(self, **params):
        names = self._get_param_names()
        routed = {
            k: params.pop(k)
            for k in list(params)
            if k.startswith(_PREFIX) or (k not in names and "__" not in k)
        }
        super().set_params(**params)
        self._model_params = {**self._model_params, **routed}
        return self

    def _check_params(self, keras):
        super()._check_params(keras)
        unknown = [k for k in self._model_params if not k.startswith(_PREFIX)]
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got an unexpected parameter "
                f"{unknown[0]!r}; arguments for your network are named "
                f"'model__<name>'. Received: "
                f"{unknown[0]}={self._model_params[unknown[0]]!r}"
            )
        check_positive_ints(
            "hidden_layer_sizes", self.hidden_layer_sizes, allow_empty=True
        )
        if self._model_params and (
            self.model is None or isinstance(self.model, keras.Model)
        ):
            raise ValueError(
                "model__ parameters are arguments of a model callable; "
                f"model is {type(self.model).__name__}, which takes none. "
                f"Received: {', '.join(sorted(self._model_params))}"
            )

    def _prepare_X(self, X, *, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=self._min_samples(reset),
        )
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
            if self.model is None:
                if X.ndim != 2:
                    raise ValueError(
                        "The default network takes 2-D X (samples, features); "
                        "pass model= for other shapes. Received: X of shape "
                        f"{X.shape}"
                    )
                self._fit_scaling(X, axis=0)
            else:
                self.mean_ = self.scale_ = None
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {X.shape[1:]}, but "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{self.input_shape_}. Received: X of shape {X.shape}"
            )
        return X

    def _build_network(self, X, y, seed):
        keras = _backend.import_keras()
        n_outputs = self._n_outputs()
        if self.model is None:
            from .architectures.mlp import build_mlp

            return build_mlp(
                self.n_features_in_,
                n_outputs,
                hidden_layer_sizes=tuple(self.hidden_layer_sizes),
                activation=self.activation,
                dropout=self.dropout,
                output_activation=self._output_activation,
                mean=self.mean_,
                variance=self.scale_**2,
                seed=seed,
            )
        # Layers the user left unseeded draw Keras's default seeds: from a
        # generator seeded here, not from Python's global one.
        with _backend.default_seeds(seed):
            if isinstance(self.model, keras.Model):
                network = keras.models.clone_model(self.model)
            else:
                network = self.model(**self._model_arguments(n_outputs, seed))
        if not isinstance(network, keras.Model):
            raise TypeError(
                "model must return a keras.Model. Received: model returned "
                f"an object of type {type(network).__name__}"
            )
        self._check_outputs(network, X, n_outputs)
        return network

    def _model_arguments(self, n_outputs, seed):
        """The routed parameters, plus the meta arguments ``model`` names."""
        arguments = {k[len(_PREFIX) :]: v for k, v in self._model_params.items()}
        meta = {
            "n_features_in": self.n_features_in_,
            "input_shape": self.input_shape_,
            "n_outputs": n_outputs,
            "seed": seed,
            **self._extra_meta(),
        }
        parameters = inspect.signature(self.model).parameters
        takes_all = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        for name, value in meta.items():
            if name not in arguments and (takes_all or name in parameters):
                arguments[name] = value
        return arguments

    def _check_outputs(self, network, X, n_outputs):
        """One forward pass before training: is the output what fit needs?"""
        keras = _backend.import_keras()
        rows = take(X, slice(0, 2))
        # On one device, through the inference function predict runs, shared
        # by the networks of one architecture: called directly on JAX, a
        # recurrent network compiles anew on every call and JAX keeps each
        # compilation (an LSTM of one's own: 1.5 MB per fit).
        share = self._inference_sharing(network) if self.distribution is None else None
        if share is None:
            out = keras.ops.convert_to_numpy(network(rows, training=False))
        else:
            out = np.asarray(_backend.inference_function(network, share)(rows))
        if out.ndim != 2 or out.shape[1] != n_outputs:
            raise ValueError(
                f"The network must output {n_outputs} value(s) per sample"
                f"{self._output_note}. Received: output of shape {out.shape} "
                f"for input of shape {take(X, slice(0, 2)).shape}"
            )
        self._check_output_values(out)

    def _check_output_values(self, out):
        """Hook: the classifier checks that rows are probabilities."""

    def _reuses_shells(self, model):
        # A subclassed model's config need not describe its computation:
        # only graph networks may share traced steps with a look-alike.
        return _backend.is_graph_network(model)

    def _extra_meta(self):
        return {}


class NeuralClassifier(_OwnNetwork, NeuralClassifierBase):
    __doc__ = f"""Classifier around your own Keras network.

    skneural trains the network you give, with everything its fixed
    estimators have: early stopping with the best weights restored on a
    stratified validation split (or your ``validation_data``),
    ``class_weight`` and ``sample_weight``, ``partial_fit`` and
    ``warm_start``, reproducible ``random_state`` without global state,
    pandas input, pickling and fast ``predict``, on any Keras backend.

    Parameters
    ----------
{
        _OWN_PARAMS.format(
            n_classes=", ``n_classes`` (= ``n_outputs``)",
            output="The network ends in a softmax over ``n_outputs`` units (one "
            "per class, two for binary problems): ``predict_proba`` is its output.",
        )
    }{_docs.training_params(stratified=True, class_weight="class", plural="es")}
{_ROUTING}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
{_OWN_ATTRIBUTES}
{_docs.training_attributes("Validation accuracy", "``loss``, ``accuracy``, ...")}

    See Also
    --------
    NeuralRegressor : The same for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's own MLP.

    Examples
    --------
    >>> import keras
    >>> from sklearn.datasets import load_iris
    >>> from skneural import NeuralClassifier
    >>> def build(units, n_features_in, n_outputs):
    ...     return keras.Sequential([
    ...         keras.Input((n_features_in,)),
    ...         keras.layers.Dense(units, activation="relu"),
    ...         keras.layers.Dense(n_outputs, activation="softmax"),
    ...     ])
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NeuralClassifier(build, model__units=16, epochs=5, random_state=0)
    >>> clf.fit(X, y).predict_proba(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        **NeuralClassifierBase._parameter_constraints,
        "model": [callable, None],
        "hidden_layer_sizes": [tuple, list],
        "activation": [str],
    }
    _output_activation = "softmax"
    _output_note = " (one probability per class, from a softmax)"

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.1,
        epochs=200,
        batch_size=32,
        optimizer="adam",
        learning_rate=None,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        class_weight=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        distribution=None,
        **model_params,
    ):
        self.model = model
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.distribution = distribution
        self._store_routed(model_params)

    def _n_outputs(self):
        return len(self.classes_)

    def _extra_meta(self):
        return {"n_classes": len(self.classes_)}

    def _check_output_values(self, out):
        sums = out.sum(axis=1)
        if np.any(out < 0) or not np.allclose(sums, 1.0, atol=1e-3):
            raise ValueError(
                "The network must output class probabilities (end in a "
                "softmax). Received: output rows summing to "
                f"{', '.join(f'{s:.3g}' for s in sums)}"
            )
