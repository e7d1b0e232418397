"""The classifiers' shared base: labels, class weights, probabilities."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from . import _labels, _streaming
from ._base import NeuralEstimatorBase
from ._batching import n_rows


class NeuralClassifierBase(ClassifierMixin, NeuralEstimatorBase):
    """Shared classifier behaviour: labels, class weights, probabilities."""

    _parameter_constraints = {
        **NeuralEstimatorBase._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _stratified_validation = True

    def fit(self, X, y=None, sample_weight=None, validation_data=None):
        """Train the network on ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like or keras.utils.PyDataset
            Training inputs (see the class docstring for accepted shapes),
            or a dataset of ``(X_batch, y_batch)`` batches, read batch by
            batch (then ``y`` is None; see :ref:`datasets`).
        y : array-like of shape (n_samples,), default=None
            Class labels (int, str, bool, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights in the loss; multiplied with ``class_weight``.
        validation_data : tuple or keras.utils.PyDataset, default=None
            ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``, or
            a dataset of such batches: held-out data of your own, scored
            after every epoch. Early stopping then watches it instead of a
            split of ``X``
            (``validation_fraction`` is ignored and every row of ``X``
            trains); with ``early_stopping=False`` its loss is only
            recorded. See :ref:`validation-data`.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data=validation_data)

    def partial_fit(self, X, y=None, classes=None, sample_weight=None):
        """Train one epoch on ``X, y`` (no early stopping).

        Parameters
        ----------
        X : array-like or keras.utils.PyDataset
            Training inputs, or a dataset of ``(X_batch, y_batch)`` batches
            (then ``y`` is None).
        y : array-like of shape (n_samples,), default=None
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

    @_streaming.streams
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
        y = self._check_labels(y, n_rows(X))
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
        return _labels.encode(self.classes_, y)

    def _sample_weights(self, sample_weight, y, n, *, all_y=None):
        weights = super()._sample_weights(sample_weight, y, n)
        if self.class_weight is None:
            return weights
        cw = _labels.class_weights(
            self.class_weight, self.classes_, y if all_y is None else all_y
        )
        cw = cw[y].astype(np.float32)
        return cw if weights is None else weights * cw

    def _metrics(self):
        return ["accuracy"]

    def _loss(self, model):
        return "sparse_categorical_crossentropy"

    def _validation_score(self, history):
        return list(history["val_accuracy"]) if "val_accuracy" in history else None
