"""NeuralRegressor: your own Keras network, or a default MLP, for regression."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_array, check_is_fitted

from . import _docs, _streaming
from ._base import NeuralEstimatorBase
from ._batching import n_rows
from ._own import _OWN_ATTRIBUTES, _OWN_PARAMS, _ROUTING, _OwnNetwork


class NeuralRegressor(_OwnNetwork, RegressorMixin, NeuralEstimatorBase):
    __doc__ = f"""Regressor around your own Keras network, or a default MLP.

    ``NeuralRegressor()`` alone trains an MLP with dropout on standardised
    inputs and targets, with early stopping. Give ``model`` to train your
    own network instead, with everything skneural's estimators have (see
    :class:`NeuralClassifier`). The loss is the mean squared error; ``score``
    is R², as for every scikit-learn regressor.

    Parameters
    ----------
{
        _OWN_PARAMS.format(
            n_classes="",
            output="The network ends in ``n_outputs`` linear units (one per target "
            "column).",
        )
    }    target_scaling : bool, default=True
        Standardise the targets with the mean and standard deviation of
        ``fit``'s ``y`` (``y_mean_``, ``y_scale_``); ``predict`` undoes it.
        The network then learns values of unit scale whatever ``y``'s units,
        and the loss weighs every target column alike.
{_docs.training_params()}
{_ROUTING}

    Attributes
    ----------
    n_outputs_ : int
        Number of target columns.
    y_mean_, y_scale_ : ndarray of shape (n_outputs_,)
        Target standardisation (zeros and ones with
        ``target_scaling=False``).
{_OWN_ATTRIBUTES}
{_docs.training_attributes("Negative validation loss (standardised units)")}

    See Also
    --------
    NeuralClassifier : The same for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's own MLP.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skneural import NeuralRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = NeuralRegressor(epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **NeuralEstimatorBase._parameter_constraints,
        "model": [callable, None],
        "hidden_layer_sizes": [tuple, list],
        "activation": [str],
        "target_scaling": ["boolean"],
    }
    _output_activation = None
    _output_note = " (one per target column)"

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.1,
        target_scaling=True,
        epochs=200,
        batch_size=32,
        optimizer="adam",
        learning_rate=None,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
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
        self.target_scaling = target_scaling
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.distribution = distribution
        self._store_routed(model_params)

    def fit(self, X, y=None, sample_weight=None, validation_data=None):
        """Train the network on ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or keras.utils.PyDataset
            Training inputs (2-D for the default network), or a dataset of
            ``(X_batch, y_batch)`` batches, read batch by batch (then ``y``
            is None; see :ref:`datasets`).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights in the loss.
        validation_data : tuple or keras.utils.PyDataset, default=None
            ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``, or
            a dataset of such batches: held-out data of your own, scored
            after every epoch. Early stopping then watches it instead of a
            split of ``X``
            (``validation_fraction`` is ignored and every row of ``X``
            trains). See :ref:`validation-data`.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data=validation_data)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train one epoch on ``X, y`` (no early stopping).

        The target standardisation is learned from the first call's ``y``
        and kept.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or keras.utils.PyDataset
            Training inputs, or a dataset of ``(X_batch, y_batch)`` batches
            (then ``y`` is None).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
default=None
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, partial=True)

    @_streaming.streams
    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Inputs shaped as in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs_)
            1-D when ``fit``'s ``y`` had one column.
        """
        check_is_fitted(self)
        out = self._forward(self._prepare_X(X, reset=False)).astype(np.float64)
        out = out * self.y_scale_ + self.y_mean_
        return out.ravel() if self.n_outputs_ == 1 else out

    def _prepare_y(self, y, X, *, reset, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the "
                "target y is None. Received: y=None"
            )
        y = check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y", ensure_min_samples=0
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D. Received: y of shape {y.shape}")
        if len(y) != n_rows(X):
            raise ValueError(
                "X and y have inconsistent numbers of samples. Received: "
                f"{n_rows(X)} rows in X, {len(y)} in y"
            )
        y2 = y.reshape(len(y), -1)
        if reset:
            self.n_outputs_ = y2.shape[1]
            if self.target_scaling:
                from .architectures._common import scale_from_variance

                self.y_mean_ = y2.mean(axis=0)
                self.y_scale_ = scale_from_variance(y2.var(axis=0))
            else:
                self.y_mean_ = np.zeros(self.n_outputs_)
                self.y_scale_ = np.ones(self.n_outputs_)
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} target column(s), but "
                f"{type(self).__name__} was fitted with {self.n_outputs_}. "
                f"Received: y of shape {y.shape}"
            )
        return ((y2 - self.y_mean_) / self.y_scale_).astype(np.float32)

    def _n_outputs(self):
        return self.n_outputs_

    def _loss(self, model):
        return "mean_squared_error"

    def _metrics(self):
        return []

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
