"""CNNClassifier: a convolutional network as a scikit-learn classifier."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array, validate_data

from . import _docs
from ._base import check_positive_ints
from ._classifier import NeuralClassifierBase

#: The step ``learning_rate=None`` means with the default Adam.
ADAM_STEP = 0.002

_TRAINING_PARAMS = _docs.training_params(
    batch_size="64",
    batch_size_note="""
        64 here (32 elsewhere): with ``augment``, as accurate in fewer
        steps (``benchmarks/bench_quality.py --cnn``).""",
    adam_step=ADAM_STEP,
    learning_rate_note="""
        on digits and MNIST-5k the best epoch came after 20-40 epochs
        instead of 25-90.""",
    stratified=True,
    class_weight="class",
    plural="es",
)
_TRAINING_ATTRIBUTES = _docs.training_attributes(
    "Validation accuracy", "``loss``, ``accuracy``, ``val_loss``, ..."
)


class CNNClassifier(NeuralClassifierBase):
    __doc__ = f"""Convolutional neural network classifier for images and signals.

    Convolution blocks (ReLU, max pooling, dropout) feed a fully connected
    head and a softmax output, trained by mini-batch gradient descent with
    early stopping on a stratified validation split. Inputs are standardised
    inside the network with statistics learned in ``fit``, so raw pixel
    ranges (0-16, 0-255) need no scaler.

    Parameters
    ----------
    filters : tuple of int, default=(16, 32)
        Number of filters of each convolution block; one block per entry.
        (32, 64), the default before, was as accurate on MNIST-5k (0.982)
        at 1.6x the time per epoch.
    kernel_size : int, default=3
        Size of the convolution window along each spatial axis.
    pool_size : int, default=2
        Max-pooling window along each spatial axis. Pooling is skipped along
        an axis that is already smaller than the window.
    dense_units : tuple of int, default=(128,)
        Sizes of the fully connected layers between the convolutions and
        the output.
    activation : str, default="relu"
        Activation of the convolution and dense layers (a Keras name).
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)`` used to read flat
        rows of ``X`` as images. ``None``: 3-D and 4-D ``X`` are images as
        they are, and flat 2-D ``X`` is read as one-dimensional signals
        (convolution along the feature axis).
    dropout : float, default=0.1
        Dropout rate after each convolution block and dense layer. With
        ``augment`` shifting the images, 0.25 on top held (16, 32) filters
        back: digits 0.980 against 0.991, MNIST-5k 0.980 against 0.981
        (seeds 0-2).
    augment : float, default=0.1
        Data augmentation in training: every image of every batch is shifted
        by a random amount up to this fraction of its height and width
        (Keras's ``RandomTranslation``, edge values repeated), so the
        network learns that a digit moved by a pixel is the same digit.
        Prediction sees the images as they are. Images only: flat rows
        without ``image_shape`` (signals, tabular data) are never shifted.
        0 turns it off.
{_TRAINING_PARAMS}

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of values per sample (``height * width * channels``).
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame.
    input_shape_ : tuple of int
        Shape of one network input: ``(h, w, c)`` or ``(length, 1)``.
    mean_, scale_ : ndarray
        Input standardisation learned in ``fit``, per channel for images
        (shape ``(c,)``) and per position for 1-D signals (shape
        ``(length, 1)``); the network sees ``(x - mean_) / scale_``.
{_TRAINING_ATTRIBUTES}

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Fully connected network.
    LSTMSequenceClassifier : Recurrent classifier for sequences.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skneural import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = CNNClassifier(image_shape=(8, 8), epochs=3, random_state=0)
    >>> clf.fit(X[:300], y[:300]).predict(X[300:303]).shape
    (3,)
    """

    _adam_learning_rate = ADAM_STEP

    _parameter_constraints = {
        **NeuralClassifierBase._parameter_constraints,
        "filters": [tuple, list],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "dense_units": [tuple, list],
        "activation": [str],
        "image_shape": [tuple, list, None],
        "augment": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        *,
        filters=(16, 32),
        kernel_size=3,
        pool_size=2,
        dense_units=(128,),
        activation="relu",
        image_shape=None,
        dropout=0.1,
        augment=0.1,
        epochs=200,
        batch_size=64,
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
    ):
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dense_units = dense_units
        self.activation = activation
        self.image_shape = image_shape
        self.dropout = dropout
        self.augment = augment
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

    def _check_params(self, keras):
        super()._check_params(keras)
        check_positive_ints("filters", self.filters, allow_empty=True)
        check_positive_ints("dense_units", self.dense_units, allow_empty=True)

    def _prepare_X(self, X, *, reset):
        X = self._shape_input(X, reset=reset)
        if reset:
            # images: one mean and scale per channel keeps spatial structure;
            # signals and rows: per position, like a StandardScaler on columns
            self._fit_scaling(X, axis=(0, 1, 2) if len(self.input_shape_) == 3 else 0)
        return X

    def _shape_input(self, X, *, reset):
        """Validate ``X`` and shape it as the network's input."""
        ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim
        if ndim in (3, 4):
            images = check_array(
                X,
                allow_nd=True,
                dtype=np.float32,
                ensure_min_samples=self._min_samples(reset),
            )
            shape = images.shape[1:] + ((1,) if ndim == 3 else ())
            flat = validate_data(
                self, images.reshape(len(images), -1), reset=reset, dtype=np.float32
            )
            if reset:
                self._set_input_shape(shape, flat.shape[1], from_images=True)
            elif shape != self.input_shape_:
                raise ValueError(
                    f"X has images of shape {images.shape[1:]}, but "
                    f"{type(self).__name__} was fitted on images of shape "
                    f"{self.input_shape_}."
                )
            return images.reshape((len(images),) + self.input_shape_)
        if ndim > 4:
            raise ValueError(
                f"{type(self).__name__} expects X with 2 (flat rows), 3 "
                "(n, height, width) or 4 (n, height, width, channels) "
                f"dimensions. Received X with {ndim} dimensions."
            )
        flat = validate_data(
            self,
            X,
            reset=reset,
            dtype=np.float32,
            ensure_min_samples=self._min_samples(reset),
        )
        if reset:
            self._set_input_shape(None, flat.shape[1], from_images=False)
        return flat.reshape((len(flat),) + self.input_shape_)

    def _set_input_shape(self, image_shape_of_X, n_features, *, from_images):
        """Decide the network's input shape from X and ``image_shape``."""
        wanted = self.image_shape
        if wanted is not None:
            wanted = tuple(wanted)
            if len(wanted) not in (2, 3) or not all(
                isinstance(s, Integral) and s > 0 for s in wanted
            ):
                raise ValueError(
                    "image_shape must be (height, width) or (height, width, "
                    f"channels) of positive ints. Received: image_shape={wanted}"
                )
            if len(wanted) == 2:
                wanted = wanted + (1,)
            if int(np.prod(wanted)) != n_features:
                raise ValueError(
                    f"image_shape={tuple(self.image_shape)} needs "
                    f"{int(np.prod(wanted))} values per sample, but X has "
                    f"{n_features} features. Received: X.shape[1]={n_features}"
                )
            if from_images and wanted != image_shape_of_X:
                raise ValueError(
                    f"image_shape must match the images in X, of shape "
                    f"{image_shape_of_X}. Received: "
                    f"image_shape={tuple(self.image_shape)}"
                )
            self.input_shape_ = wanted
        elif from_images:
            self.input_shape_ = tuple(int(s) for s in image_shape_of_X)
        else:
            # Flat rows without an image shape: 1-D signals, one channel.
            self.input_shape_ = (int(n_features), 1)

    def _build_network(self, X, y, seed):
        from .architectures import build_cnn

        return build_cnn(
            self.input_shape_,
            len(self.classes_),
            filters=tuple(self.filters),
            kernel_size=self.kernel_size,
            pool_size=self.pool_size,
            dense_units=tuple(self.dense_units),
            dropout=self.dropout,
            activation=self.activation,
            augment=self.augment,
            mean=self.mean_,
            variance=self.scale_**2,
            # images: per channel; signals: per position (see _prepare_X)
            norm_axis=-1 if len(self.input_shape_) == 3 else (1, 2),
            seed=seed,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True  # (n, height, width) images
        return tags
