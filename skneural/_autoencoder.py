"""Autoencoders: a PCA-like transformer and an IsolationForest-like detector."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _docs
from ._base import NeuralEstimatorBase, check_positive_ints
from ._batching import LazyRows, row_chunks, take

#: Rows (evenly spaced) that ``pca_init``'s basis is computed from.
PCA_INIT_ROWS = 20_000

_SHARED_DOC_PARAMS = """\
    n_components : int, default={n_components}
        Width of the bottleneck (the learned code); must be smaller than
        the number of features.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Encoder layer sizes; the decoder mirrors them. More entries make a
        deeper autoencoder.
    activation : str, default="relu"
        Activation of the hidden layers; the code and the output are linear.
    noise : float, default=0.0
        Corrupt the (standardised) inputs during training only, which makes
        a denoising autoencoder: the standard deviation of Gaussian noise,
        or the share of values set to the feature mean with
        ``noise_type="mask"``.
    noise_type : {{"gaussian", "mask"}}, default="gaussian"
        Kind of input corruption used when ``noise > 0``.
    dropout : float, default={dropout}
        Dropout rate after each hidden layer.
    scale : {{"global", "feature"}}, default="{scale}"
        How inputs are scaled for the network and its loss, after centring
        each feature. "global": one standard deviation for all features, so
        the loss is the squared error in the data's own units (what
        ``PCA`` minimises and how reconstructions are usually scored).
        "feature": each feature by its own, so every feature weighs alike
        whatever its units, and near-constant ones (an image's border
        pixels) weigh as much as the rest.
    pca_init : bool, default={pca_init}
        Give the encoder and decoder a linear map each beside their
        nonlinear layers, started at the PCA basis of the (scaled) training
        rows, with the nonlinear layers' last weights at zero: the network
        starts as ``PCA(n_components)`` and training improves on it. The
        basis comes from at most 20,000 evenly spaced training rows.
{training}"""

_SHARED_DOC_ATTRS = """\
    model_ : keras.Model
        The trained autoencoder (nested ``"encoder"`` and ``"decoder"``
        models), working in standardised units.
    mean_, scale_ : ndarray of shape (n_features,)
        Per-feature mean, and the scale (per feature, or one value repeated
        with ``scale="global"``) learned in ``fit``; the network sees
        ``(X - mean_) / scale_``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame.
{training}"""

_TRAINING_PARAMS = _docs.training_params("rows", noise=True)
_TRAINING_ATTRIBUTES = _docs.training_attributes(
    "Minus the validation loss (mean squared error)",
    "``loss``, ``val_loss``",
)


class _AutoencoderBase(NeuralEstimatorBase):
    """What both autoencoders share: data handling, network, reconstruction."""

    _unsupervised = True

    _parameter_constraints = {
        **NeuralEstimatorBase._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [tuple, list],
        "activation": [str],
        "noise": [Interval(Real, 0, None, closed="left")],
        "noise_type": [StrOptions({"gaussian", "mask"})],
        "scale": [StrOptions({"global", "feature"})],
        "pca_init": ["boolean"],
    }

    def fit(self, X, y=None, sample_weight=None, validation_data=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows; a DataFrame keeps its column names.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights in the reconstruction loss.
        validation_data : array-like or tuple, default=None
            ``X_val``, or ``(X_val, None, sample_weight_val)``: held-out
            rows of your own, scored after every epoch. Early stopping then
            watches them instead of a split of ``X`` (``validation_fraction``
            is ignored and every row of ``X`` trains); with
            ``early_stopping=False`` their loss is only recorded. See
            :ref:`validation-data`.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, None, sample_weight, validation_data=validation_data)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train one epoch on ``X`` (no early stopping), chunk by chunk.

        The first call learns the input statistics (``mean_``, ``scale_``)
        from its rows and builds the network; later calls keep them and
        train on. The statistics are not updated: give a representative
        first chunk (shuffle the data first). The anomaly detector sets its
        scores' scales and its threshold from each call's rows, as ``fit``
        sets them from its own.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One chunk of training rows.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights in the reconstruction loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, None, sample_weight, partial=True)

    def _check_params(self, keras):
        super()._check_params(keras)
        check_positive_ints(
            "hidden_layer_sizes", self.hidden_layer_sizes, allow_empty=True
        )

    def _prepare_X(self, X, *, reset):
        X = validate_data(
            self, X, reset=reset, dtype=np.float32, ensure_min_samples=2 if reset else 1
        )
        if reset:
            n_features = X.shape[1]
            if self.n_components >= n_features:
                raise ValueError(
                    "n_components must be smaller than the number of "
                    f"features, n_features={n_features}: the code has to "
                    "compress the input. Received: "
                    f"n_components={self.n_components}"
                )
            self._fit_scaling(X, axis=0)
            if self.scale == "global":
                # the root mean variance: the total variance shared out
                self.scale_ = np.full_like(
                    self.scale_, np.sqrt(np.mean(self.scale_**2))
                )
        return X

    def _prepare_y(self, y, X, *, reset, classes=None):
        # The target is the standardised input: every feature weighs alike
        # in the loss whatever its units.
        # made batch by batch: no second copy of X (a memmap stays on disk)
        return LazyRows(X, self._standardize)

    def _standardize(self, X):
        return ((X - self.mean_) / self.scale_).astype(np.float32)

    def _build_network(self, X, y, seed):
        from .architectures import build_autoencoder

        return build_autoencoder(
            X.shape[1],
            self.n_components,
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            activation=self.activation,
            dropout=self.dropout,
            noise=self.noise,
            noise_type=self.noise_type,
            mean=self.mean_,
            variance=self.scale_**2,
            linear_path=self.pca_init,
            seed=seed,
        )

    def _initialize_network(self, model, X):
        """Start the linear maps at the PCA basis of the scaled rows."""
        if not self.pca_init:
            return
        n = X.shape[0]
        rows = np.unique(np.linspace(0, n - 1, min(n, PCA_INIT_ROWS)).astype(np.intp))
        # the scatter matrix of the scaled rows, a chunk of rows at a time
        # (a memory-mapped X is read, not copied)
        d = X.shape[1]
        scatter = np.zeros((d, d))
        for chunk in row_chunks(np.broadcast_to(rows[:, None], (len(rows), d))):
            part = take(X, rows[chunk])
            Z = (np.asarray(part, dtype=np.float64) - self.mean_) / self.scale_
            scatter += Z.T @ Z
        # eigenvectors of the scatter matrix, largest first
        _, vectors = np.linalg.eigh(scatter)
        basis = vectors[:, ::-1][:, : self.n_components].astype(np.float32)
        model.get_layer("encoder").get_layer("linear_code").set_weights([basis])
        model.get_layer("decoder").get_layer("linear_reconstruction").set_weights(
            [basis.T]
        )

    def _loss(self, model):
        return "mse"

    def _metrics(self):
        return []

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


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

    @property
    def _n_features_out(self):
        return self.n_components

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

    def fit(self, X, y=None, sample_weight=None, validation_data=None):
        """Train the autoencoder on ``X`` and set the outlier threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows (mostly normal ones).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights in the reconstruction loss.
        validation_data : array-like or tuple, default=None
            ``X_val``, or ``(X_val, None, sample_weight_val)``: held-out
            rows of your own, scored after every epoch. Early stopping then
            watches them instead of a split of ``X`` (``validation_fraction``
            is ignored and every row of ``X`` trains); with
            ``early_stopping=False`` their loss is only recorded. See
            :ref:`validation-data`.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, None, sample_weight, validation_data=validation_data)

    def _fit_finished(self, X):
        """The score scales and the threshold, from the training rows."""
        residuals, codes = self._residuals_and_codes(X)
        self.residual_scale_ = _spread(residuals)
        self.code_mean_ = codes.mean(axis=0)
        self.code_scale_ = _spread(codes - self.code_mean_)
        scores = self._scores(residuals, codes)
        if self.contamination == "auto":
            q1, q3 = np.percentile(-scores, [25, 75])
            self.offset_ = -(q3 + 1.5 * (q3 - q1))
        else:
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))

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


def _spread(values):
    """Per-column root mean square, with 1 where a column is constant."""
    rms = np.sqrt(np.mean(values**2, axis=0))
    return np.where(rms > 1e-12, rms, 1.0)
