"""Convolutional classifier network."""

import keras

from ._common import Seeds, dense_stack, normalization
from .layers import VariableDropout


def build_cnn(
    input_shape,
    n_classes,
    *,
    filters=(16, 32),
    kernel_size=3,
    pool_size=2,
    dense_units=(128,),
    dropout=0.1,
    activation="relu",
    augment=0.0,
    mean=0.0,
    variance=1.0,
    norm_axis=-1,
    seed=None,
):
    """Conv blocks -> max pooling -> dropout -> dense head -> softmax.

    Parameters
    ----------
    input_shape : tuple
        ``(height, width, channels)`` for images (2-D convolutions) or
        ``(length, channels)`` for signals (1-D convolutions).
    n_classes : int
        Number of output units (softmax; 2 for binary problems).
    filters : tuple of int
        Filters per convolution block; one block per entry.
    kernel_size, pool_size : int
        Convolution window and max-pooling window (per spatial axis).
        Pooling is skipped along an axis already smaller than the window, so
        small inputs are never pooled down to nothing.
    dense_units : tuple of int
        Sizes of the fully connected layers before the output.
    dropout : float
        Dropout rate after each block and each dense layer (0 disables).
    activation : str
        Activation of convolutions and dense layers.
    augment : float
        Largest random shift of images in training, as a fraction of their
        height and width (``RandomTranslation``, edges repeated); 0 turns it
        off. 1-D inputs are never shifted (their positions may be features).
        Inference sees the inputs as they are.
    mean, variance : array-like
        Input standardisation statistics, learned from the training data.
    norm_axis : int or tuple of int
        Axes that keep their own statistics (``-1``: per channel).
    seed : int, default=None
        Seeds every initialiser and dropout layer (:class:`Seeds`).

    Returns
    -------
    model : keras.Model
        Uncompiled model mapping a batch of inputs to class probabilities.
    """
    spatial_rank = len(input_shape) - 1
    if spatial_rank not in (1, 2):
        raise ValueError(
            "Expected input_shape of length 2 (signals) or 3 (images). "
            f"Received: input_shape={tuple(input_shape)}"
        )
    conv = keras.layers.Conv1D if spatial_rank == 1 else keras.layers.Conv2D
    pool = keras.layers.MaxPooling1D if spatial_rank == 1 else keras.layers.MaxPooling2D

    seeds = Seeds(seed)
    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    x = inputs
    if augment > 0 and spatial_rank == 2:
        x = keras.layers.RandomTranslation(
            augment, augment, fill_mode="nearest", seed=seeds(), name="augment"
        )(x)
    x = normalization(keras, mean, variance, norm_axis)(x)
    size = list(input_shape[:-1])
    for i, n_filters in enumerate(filters):
        x = conv(
            n_filters,
            kernel_size,
            padding="same",
            activation=activation,
            kernel_initializer=seeds.glorot(keras),
            name=f"conv_{i}",
        )(x)
        window = tuple(pool_size if s >= pool_size else 1 for s in size)
        if any(w > 1 for w in window):
            x = pool(window if spatial_rank == 2 else window[0], name=f"pool_{i}")(x)
            size = [s // w for s, w in zip(size, window)]
        if dropout > 0:
            x = VariableDropout(dropout, seed=seeds(), name=f"conv_dropout_{i}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = dense_stack(keras, x, dense_units, activation, dropout, "dense", seeds)
    outputs = seeds.dense(keras, n_classes, "output", "softmax")(x)
    return keras.Model(inputs, outputs, name="cnn_classifier")
