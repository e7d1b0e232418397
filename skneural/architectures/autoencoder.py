"""Dense autoencoder: encoder, bottleneck, mirrored decoder."""

import keras

from ._common import Seeds, dense_stack, normalization
from .layers import VariableGaussianNoise, VariableMaskingNoise


def build_autoencoder(
    n_features,
    n_components,
    *,
    hidden_layer_sizes=(128, 64),
    activation="relu",
    dropout=0.0,
    noise=0.0,
    noise_type="gaussian",
    mean=0.0,
    variance=1.0,
    linear_path=False,
    seed=None,
):
    """Encoder (dense layers -> linear code) and mirrored decoder.

    Parameters
    ----------
    n_features : int
        Width of the input rows.
    n_components : int
        Width of the bottleneck (the code).
    hidden_layer_sizes : tuple of int
        Encoder layer sizes; the decoder uses them in reverse order.
    activation : str
        Activation of the hidden layers (the code and output are linear).
    dropout : float
        Dropout after each hidden layer (0 disables).
    noise : float
        Input corruption during training only (a denoising autoencoder):
        the standard deviation of Gaussian noise, or the share of masked
        values with ``noise_type="mask"``. Inputs are standardised first, so
        the noise is in units of each feature's standard deviation.
    noise_type : {"gaussian", "mask"}
        Kind of corruption.
    mean, variance : array-like of shape (n_features,)
        Input standardisation statistics learned from the training data.
    linear_path : bool
        Add a linear map beside each half: the code is ``linear(x) +
        nonlinear(x)`` and the reconstruction ``linear(code) +
        nonlinear(code)``, the nonlinear halves' last layers starting at
        zero. With the linear maps set to a PCA basis (layers
        ``"linear_code"`` and ``"linear_reconstruction"``), the network
        starts as PCA and trains from there.
    seed : int, default=None
        Seeds every initialiser, dropout and noise layer (:class:`Seeds`).

    Returns
    -------
    model : keras.Model
        ``inputs -> reconstruction`` in standardised units, made of two
        nested models named ``"encoder"`` (inputs -> code) and ``"decoder"``
        (code -> reconstruction).
    """
    seeds = Seeds(seed)
    inputs = keras.Input(shape=(n_features,), name="inputs")
    x = normalization(keras, mean, variance, axis=-1)(inputs)
    if noise > 0:
        if noise_type == "mask":
            x = VariableMaskingNoise(noise, seed=seeds(), name="masking_noise")(x)
        else:
            x = VariableGaussianNoise(noise, seed=seeds(), name="gaussian_noise")(x)
    standardized = x
    x = dense_stack(keras, x, hidden_layer_sizes, activation, dropout, "encoder", seeds)
    code = _last_layer(keras, seeds, n_components, "code", x, standardized, linear_path)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(n_components,), name="code_in")
    y = dense_stack(
        keras,
        code_in,
        tuple(reversed(hidden_layer_sizes)),
        activation,
        dropout,
        "decoder",
        seeds,
    )
    outputs = _last_layer(
        keras, seeds, n_features, "reconstruction", y, code_in, linear_path
    )
    decoder = keras.Model(code_in, outputs, name="decoder")

    return keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")


def _last_layer(keras, seeds, units, name, x, linear_input, linear_path):
    """A half's last (linear) layer on ``x``; with ``linear_path``, started at
    zero and summed with a linear map of ``linear_input`` (named
    ``linear_<name>``, set to the PCA basis by the estimator).

    Every initialiser is seeded or constant: nothing here draws from Keras's
    default seed source.
    """
    if not linear_path:
        return seeds.dense(keras, units, name)(x)
    nonlinear = keras.layers.Dense(units, kernel_initializer="zeros", name=name)(x)
    linear = keras.layers.Dense(
        units,
        use_bias=False,
        kernel_initializer=seeds.glorot(keras),
        name=f"linear_{name}",
    )(linear_input)
    return keras.layers.Add(name=f"{name}_sum")([linear, nonlinear])
