"""Small helpers shared by the builders."""

import numpy as np


def normalization(keras, mean, variance, axis):
    """A ``Normalization`` layer with statistics computed by the caller.

    Passing ``mean``/``variance`` instead of calling ``adapt`` avoids
    building a data pipeline (and a trace) just to compute two moments.
    """
    return keras.layers.Normalization(
        axis=axis,
        mean=np.asarray(mean, dtype=np.float32),
        variance=np.asarray(variance, dtype=np.float32),
    )


def dense_stack(keras, x, units, activation, dropout, name):
    """Dense layers of ``units`` sizes, each followed by dropout if > 0."""
    for i, n in enumerate(units):
        x = keras.layers.Dense(n, activation=activation, name=f"{name}_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout_{i}")(x)
    return x
