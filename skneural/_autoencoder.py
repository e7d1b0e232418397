"""Autoencoders: a PCA-like transformer and an IsolationForest-like detector.

Both share :class:`skneural._autoencoder_base._AutoencoderBase`.
"""

from numbers import Real

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _streaming
from ._autoencoder_base import (
    _SHARED_DOC_ATTRS,
    _SHARED_DOC_PARAMS,
    _TRAINING_ATTRIBUTES,
    _TRAINING_PARAMS,
    _AutoencoderBase,
)
from ._batching import PREDICT_CHUNK


class AutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, _AutoencoderBase
):
    __doc__ = f"""Autoencoder dimensionality reduction, the neural ``PCA``.

    A dense encoder compresses each row into ``n_components`` values (the
    code) and a mirrored decoder reconstructs the row from them; both are
    trained together to minimise the reconstruction error. ``transform``
    returns the code, ``inverse_transform`` the reconstruction in the
    original units. Inputs are standardised inside with statistics learned
    in ``fit``, so no scaler is needed.

    Parameters
    ----------
{
        _SHARED_DOC_PARAMS.format(
            n_components=2,
            dropout=0.0,
            scale="global",
            pca_init=True,
            training=_TRAINING_PARAMS,
        )
    }

    Attributes
    ----------
{_SHARED_DOC_ATTRS.format(training=_TRAINING_ATTRIBUTES)}

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    AutoencoderAnomalyDetector : Outliers by reconstruction error.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skneural import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=4, epochs=3, random_state=0)
    >>> ae.fit_transform(X[:200]).shape
    (200, 4)
    >>> ae.inverse_transform(ae.transform(X[:2])).shape
    (2, 64)
    """

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        noise=0.0,
        noise_type="gaussian",
        dropout=0.0,
        scale="global",
        pca_init=True,
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
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.noise = noise
        self.noise_type = noise_type
        self.scale = scale
        self.pca_init = pca_init
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
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.distribution = distribution

    @property
    def _n_features_out(self):
        return self.n_components

    @_streaming.streams
    def transform(self, X):
        """Encode rows into the learned code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to encode.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._prepare_X(X, reset=False)
        encoder = self.model_.get_layer("encoder")
        return self._forward(X, encoder).astype(np.float64)

    def inverse_transform(self, X):
        """Decode codes back into rows, in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        from sklearn.utils.validation import check_array

        codes = check_array(X, dtype=np.float32)
        if codes.shape[1] != self.n_components:
            raise ValueError(
                f"inverse_transform expects codes with n_components="
                f"{self.n_components} columns. Received: X with "
                f"{codes.shape[1]} columns."
            )
        decoder = self.model_.get_layer("decoder")
        return self._forward(codes, decoder) * self.scale_ + self.mean_

    def score(self, X, y=None):
        """Minus the mean squared reconstruction error (original units).

        Higher is better, so ``GridSearchCV`` picks the best reconstruction
        without a custom scorer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to reconstruct.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        X_net = self._prepare_X(X, reset=False)
        error = (self._forward(X_net) - self._standardize(X_net)) * self.scale_
        return -float(np.mean(error.astype(np.float64) ** 2))


class AutoencoderAnomalyDetector(OutlierMixin, _AutoencoderBase):
    __doc__ = f"""Anomaly detection by autoencoder reconstruction error.

    The neural counterpart of ``IsolationForest``: an autoencoder learns to
    reconstruct the training rows; rows it reconstructs badly are unusual.
    ``score_samples`` is minus each row's mean squared reconstruction error
    (in standardised units, so every feature counts alike): higher means
    more normal.

    Parameters
    ----------
    contamination : "auto" or float in (0, 0.5], default="auto"
        Sets the threshold on the training scores. A float is the share of
        training rows to flag as outliers. "auto" uses Tukey's fence on the
        training reconstruction errors: a row is an outlier when its error
        exceeds the third quartile plus 1.5 times the interquartile range.
    score_type : {{"combined", "reconstruction"}}, default="combined"
        "reconstruction": minus the mean squared reconstruction error of the
        (standardised) row. "combined" (default): minus the sum of the mean
        squared *residual*, each feature's residual in units of its spread
        on the training rows, and the mean squared *code*, standardised
        likewise. Reconstruction error alone cannot flag a row that lies
        far out along the structure the network learned (it is
        reconstructed well); the code term does, as the leading components
        do in PCA-based outlier scores.
{
        _SHARED_DOC_PARAMS.format(
            n_components=1,
            dropout=0.0,
            scale="feature",
            pca_init=False,
            training=_TRAINING_PARAMS,
        )
    }

    Attributes
    ----------
    offset_ : float
        ``decision_function = score_samples - offset_``; negative values
        are outliers.
    residual_scale_ : ndarray of shape (n_features,)
        Root mean square of each feature's reconstruction residual on the
        training rows (standardised units): the "combined" score divides
        residuals by it.
    code_mean_, code_scale_ : ndarray of shape (n_components,)
        Mean and root mean square spread of the training rows' codes: the
        "combined" score standardises codes with them.
{_SHARED_DOC_ATTRS.format(training=_TRAINING_ATTRIBUTES)}

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based anomaly detection.
    AutoencoderTransformer : The same network as a transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural import AutoencoderAnomalyDetector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 6))
    >>> det = AutoencoderAnomalyDetector(epochs=3, random_state=0).fit(X)
    >>> det.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **_AutoencoderBase._parameter_constraints,
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "score_type": [StrOptions({"combined", "reconstruction"})],
    }

    def __init__(
        self,
        *,
        contamination="auto",
        score_type="combined",
        n_components=1,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        noise=0.0,
        noise_type="gaussian",
        dropout=0.0,
        scale="feature",
        pca_init=False,
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
    ):
        self.contamination = contamination
        self.score_type = score_type
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.noise = noise
        self.noise_type = noise_type
        self.scale = scale
        self.pca_init = pca_init
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
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.distribution = distribution

    def _fit_finished(self, X):
        """The score scales and the threshold, from the training rows.

        Block by block (a memory-mapped ``X`` or a dataset is never held
        whole): the scales from sums over the blocks, then the scores.
        """
        n, squares, code_sum, code_squares = 0, 0.0, 0.0, 0.0
        first_pass = []
        for block in _streaming.blocks(X, PREDICT_CHUNK):
            residuals, codes = self._residuals_and_codes(block)
            first_pass.append((residuals, codes))
            n += len(residuals)
            squares = squares + (residuals**2).sum(axis=0)
            code_sum = code_sum + codes.sum(axis=0)
            code_squares = code_squares + (codes**2).sum(axis=0)
        self.residual_scale_ = _root(squares / n)
        self.code_mean_ = code_sum / n
        self.code_scale_ = _root(np.maximum(code_squares / n - self.code_mean_**2, 0))
        if len(first_pass) > 1:  # forward again rather than hold every block
            first_pass = (
                self._residuals_and_codes(block)
                for block in _streaming.blocks(X, PREDICT_CHUNK)
            )
        scores = np.concatenate([self._scores(r, c) for r, c in first_pass])
        if self.contamination == "auto":
            q1, q3 = np.percentile(-scores, [25, 75])
            self.offset_ = -(q3 + 1.5 * (q3 - q1))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))

    @_streaming.streams
    def score_samples(self, X):
        """Minus each row's anomaly score (see ``score_type``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher is more normal.
        """
        check_is_fitted(self)
        return self._scores(*self._residuals_and_codes(self._prepare_X(X, reset=False)))

    def _residuals_and_codes(self, X):
        """Standardised residuals and codes of prepared rows ``X``."""
        residuals = self._forward(X).astype(np.float64) - self._standardize(X)
        codes = self._forward(X, self.model_.get_layer("encoder"))
        return residuals, codes.astype(np.float64)

    def _scores(self, residuals, codes):
        if self.score_type == "reconstruction":
            return -np.mean(residuals**2, axis=1)
        r = residuals / self.residual_scale_
        z = (codes - self.code_mean_) / self.code_scale_
        return -(np.mean(r**2, axis=1) + np.mean(z**2, axis=1))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)


def _root(mean_squares):
    """Root mean squares, with 1 where a column is constant."""
    rms = np.sqrt(mean_squares)
    return np.where(rms > 1e-12, rms, 1.0)
