"""Small helpers shared by the builders."""

import numpy as np

from .layers import Standardize, VariableDropout


class Seeds:
    """Distinct integer seeds for every random part of one network.

    Keras layers and initialisers built without a seed draw one from
    Python's global ``random`` module. Any other thread drawing from it
    meanwhile (a Dask worker does) would change the network, and seeding it
    for the duration of a fit would change the user's own random stream. So
    every random layer and initialiser of a skneural network gets an explicit
    seed, drawn here from a private generator seeded once per fit.

    Parameters
    ----------
    seed : int or None
        ``None`` draws fresh entropy from the operating system (not from any
        global generator).
    """

    def __init__(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def __call__(self):
        """The next seed, an int in ``[0, 2**31 - 1)``."""
        return int(self._rng.integers(2**31 - 1))

    def glorot(self, keras):
        """Keras's default kernel initialiser (Glorot uniform), seeded."""
        return keras.initializers.GlorotUniform(seed=self())

    def dense(self, keras, units, name, activation=None):
        """A ``Dense`` layer with a seeded kernel initialiser."""
        return keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=self.glorot(keras),
            name=name,
        )

    def recurrent_kwargs(self, keras):
        """Seeded initialisers (Keras's defaults) and dropout seed of an RNN."""
        return dict(
            kernel_initializer=self.glorot(keras),
            recurrent_initializer=keras.initializers.Orthogonal(seed=self()),
            seed=self(),
        )


def scale_from_variance(variance):
    """Standard deviations, with 1 where a feature is (nearly) constant.

    Computed in float64: the variance of large values does not fit float32.
    """
    std = np.sqrt(np.asarray(variance, dtype=np.float64))
    return np.where(std > 1e-12, std, 1.0)


def normalization(keras, mean, variance, axis):
    """A :class:`~.layers.Standardize` layer with the caller's statistics.

    Passing the statistics instead of calling ``adapt`` avoids building a
    data pipeline (and a trace) just to compute two moments.
    """
    return Standardize(
        name="standardize",
        axis=axis,
        mean=np.asarray(mean, np.float64),
        scale=scale_from_variance(variance),
    )


def dense_stack(keras, x, units, activation, dropout, name, seeds):
    """Dense layers of ``units`` sizes, each followed by dropout if > 0."""
    for i, n in enumerate(units):
        x = seeds.dense(keras, n, f"{name}_{i}", activation)(x)
        if dropout > 0:
            x = VariableDropout(dropout, seed=seeds(), name=f"{name}_dropout_{i}")(x)
    return x


def bidirectional_layer(keras, make_layer, name):
    """``Bidirectional`` with its own (differently seeded) backward layer.

    Left to itself, ``Bidirectional`` copies the forward layer's config for
    the backward one, seeds included: both directions would start from the
    same weights.
    """
    return keras.layers.Bidirectional(
        make_layer(go_backwards=False),
        backward_layer=make_layer(go_backwards=True),
        name=name,
    )
