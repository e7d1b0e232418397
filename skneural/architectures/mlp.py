"""Multi-layer perceptron: the default network of the own-network estimators."""

import keras

from ._common import Seeds, dense_stack, normalization


def build_mlp(
    n_features_in,
    n_outputs,
    *,
    hidden_layer_sizes=(100,),
    activation="relu",
    dropout=0.1,
    output_activation=None,
    mean=0.0,
    variance=1.0,
    seed=None,
):
    """Standardisation -> dense layers with dropout -> output layer.

    Parameters
    ----------
    n_features_in : int
        Number of input features.
    n_outputs : int
        Number of output units.
    hidden_layer_sizes : tuple of int
        Sizes of the hidden layers.
    activation : str
        Activation of the hidden layers.
    dropout : float
        Dropout rate after each hidden layer (0 disables).
    output_activation : str or None
        ``"softmax"`` for class probabilities, ``None`` for regression.
    mean, variance : array-like
        Input standardisation statistics, learned from the training data.
    seed : int, default=None
        Seeds every initialiser and dropout layer (:class:`Seeds`).

    Returns
    -------
    model : keras.Model
        Uncompiled model.

    Examples
    --------
    >>> from skneural.architectures.mlp import build_mlp
    >>> build_mlp(4, 3, output_activation="softmax", seed=0).output_shape
    (None, 3)
    """
    seeds = Seeds(seed)
    inputs = keras.Input(shape=(n_features_in,), name="inputs")
    x = normalization(keras, mean, variance, -1)(inputs)
    x = dense_stack(keras, x, hidden_layer_sizes, activation, dropout, "hidden", seeds)
    outputs = seeds.dense(keras, n_outputs, "output", output_activation)(x)
    return keras.Model(inputs, outputs, name="mlp")
