"""What both autoencoders share: the base class (data handling, the
network, the PCA start, reconstruction) and their common docstring text.
The estimators themselves are in :mod:`skneural._autoencoder`.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from . import _docs, _streaming
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
        a denoising autoencoder: the standard deviation of Gaussian noise
        (in units of each feature's standard deviation; any value >= 0),
        or the share of values set to the feature mean with
        ``noise_type="mask"`` (below 1). A search over positive ``noise``
        values traces the network once (``noise=0`` builds no noise layer:
        another network).
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

        The anomaly detector then sets its scores' scales and its threshold
        from the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or keras.utils.PyDataset
            Training rows; a DataFrame keeps its column names. Or a dataset
            whose batches are rows, read batch by batch (see
            :ref:`datasets`).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights in the reconstruction loss.
        validation_data : array-like, tuple or PyDataset, default=None
            ``X_val``, ``(X_val, None, sample_weight_val)`` or a dataset of
            ``X_val`` batches: held-out
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
        X : array-like of shape (n_samples, n_features) or keras.utils.PyDataset
            One chunk of training rows, or a dataset of them.
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
        if self.noise_type == "mask" and self.noise >= 1:
            # (a Gaussian noise's standard deviation may exceed 1)
            raise ValueError(
                "noise is the share of values masked with noise_type='mask', "
                "so it must be below 1 (a share of 1 masks every value). "
                f"Received: noise={self.noise!r}"
            )

    def _prepare_X(self, X, *, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float32,
            ensure_min_samples=self._min_samples(reset),
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
            self._fit_scaling(X, axis=0, pooled=self.scale == "global")
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
        X = _streaming.head(X, PCA_INIT_ROWS)  # a dataset's first batches
        n = X.shape[0]
        rows = np.unique(np.linspace(0, n - 1, min(n, PCA_INIT_ROWS)).astype(np.intp))
        # the scatter matrix of the scaled rows, a chunk of rows at a time
        # (a memory-mapped X is read, not copied)
        d = X.shape[1]
        scatter = np.zeros((d, d))
        for chunk in row_chunks(len(rows), d):
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
