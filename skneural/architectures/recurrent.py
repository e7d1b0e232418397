"""Recurrent sequence classifier network."""

import keras

from ._common import Seeds, bidirectional_layer, dense_stack, normalization
from .layers import (
    ChronoInitializer,
    FrameSteps,
    LogLength,
    Standardize,
    VariableDropoutGRU,
    VariableDropoutLSTM,
)


def build_recurrent_classifier(
    n_features,
    n_classes,
    *,
    units=(64,),
    cell="lstm",
    bidirectional=False,
    dropout=0.0,
    recurrent_dropout=0.0,
    dense_units=(),
    mean=0.0,
    variance=1.0,
    max_timesteps=None,
    frame_length=1,
    conv_filters=None,
    conv_kernel_sizes=(8, 5, 3),
    conv_dilation_rates=None,
    conv_frame_length=1,
    log_length=None,
    seed=None,
):
    """Masked (stacked, optionally bidirectional) LSTM/GRU -> softmax,
    with an optional convolutional branch beside it (LSTM-FCN).

    The model takes two inputs: ``values`` of shape ``(batch, timesteps,
    n_features)`` and a boolean ``mask`` of shape ``(batch, timesteps)``
    that is True at real (not padded) steps; any sequence length works.

    Parameters
    ----------
    n_features, n_classes : int
        Features per timestep; output classes.
    units : tuple of int
        Units of each recurrent layer (stacked when several).
    cell : {"lstm", "gru"}
        Recurrent cell.
    bidirectional : bool
        Read each sequence both ways and concatenate the two states.
    dropout, recurrent_dropout : float
        Dropout on each layer's inputs and on its recurrent state. With
        ``recurrent_dropout > 0`` TensorFlow cannot use the fused cuDNN
        kernel on a GPU.
    dense_units : tuple of int
        Optional dense layers between the recurrent layers and the output.
    mean, variance : array-like of shape (n_features,)
        Per-feature input standardisation learned from the training data.
    max_timesteps : int, default=None
        Longest training sequence, in recurrent steps (frames). Given, LSTM
        gate biases get chrono initialisation (:class:`ChronoInitializer`)
        for memories that span up to that many steps; None keeps Keras's
        forget bias of 1.
    frame_length : int, default=1
        Timesteps joined into one recurrent step (:class:`FrameSteps`).
    conv_filters : tuple of int, default=None
        Filters of each block of a fully convolutional branch beside the
        recurrent one, as in LSTM-FCN (Karim et al., 2017): Conv1D, batch
        normalisation and ReLU per block, then global average pooling,
        concatenated with the recurrent layers' output. Padded steps are set
        to 0 before every convolution, so a real step sees beyond a
        sequence's end what ``padding="same"`` gives an unpadded sequence
        (zeros); batch statistics and the average skip them: padding never
        changes a prediction. None: no branch.
    conv_kernel_sizes : tuple of int, default=(8, 5, 3)
        Window of each convolution block (one per ``conv_filters`` entry).
    conv_dilation_rates : tuple of int, default=None
        Dilation of each convolution block (one per ``conv_filters``
        entry): a window of ``k`` at rate ``r`` reads every ``r``-th
        position and spans ``(k - 1) * r + 1`` of them. Padding stays
        invisible at any rate (what a window reads beyond a sequence's end
        is 0, padded or not). None: rate 1 everywhere.
    conv_frame_length : int, default=1
        Timesteps the convolutional branch reads as one position (frames, as
        ``frame_length`` for the recurrent layers): its windows span this
        many times as many steps, at this fraction of the cost.
    log_length : (float, float), default=None
        Mean and standard deviation of the log sequence lengths in the
        training data. Given, each sequence's standardised log length
        (:class:`LogLength`, read from the mask) joins the features the
        output reads: the average pooling of the convolutional branch does
        not see how long a sequence is. None: no length feature.
    seed : int, default=None
        Seeds every initialiser and dropout (:class:`Seeds`).

    Returns
    -------
    model : keras.Model
    """
    # dropout rates in variables: a search over them traces once
    layer_cls = {"lstm": VariableDropoutLSTM, "gru": VariableDropoutGRU}[cell]
    values = keras.Input(shape=(None, n_features), name="values")
    mask = keras.Input(shape=(None,), dtype="bool", name="step_mask")
    standardized = normalization(keras, mean, variance, axis=-1)(values)
    x, steps = FrameSteps(frame_length, name="frames")(standardized, mask)
    seeds = Seeds(seed)
    for i, n_units in enumerate(units):

        def make_layer(go_backwards, i=i, n_units=n_units):
            extra = seeds.recurrent_kwargs(keras)
            if cell == "lstm" and max_timesteps:
                extra.update(
                    unit_forget_bias=False,
                    bias_initializer=ChronoInitializer(max_timesteps, seed=seeds()),
                )
            return layer_cls(
                n_units,
                dropout=dropout,
                recurrent_dropout=recurrent_dropout,
                return_sequences=i < len(units) - 1,
                go_backwards=go_backwards,
                name=f"{cell}_{i}" + ("_backward" if go_backwards else ""),
                **extra,
            )

        if bidirectional:
            layer = bidirectional_layer(keras, make_layer, f"bidirectional_{i}")
        else:
            layer = make_layer(go_backwards=False)
        x = layer(x, mask=steps)
    if conv_filters:
        x = keras.layers.Concatenate(name="lstm_fcn")(
            [
                x,
                _conv_branch(
                    keras,
                    FrameSteps(conv_frame_length, name="conv_frames")(
                        standardized, mask
                    ),
                    conv_filters,
                    conv_kernel_sizes,
                    conv_dilation_rates or (1,) * len(conv_filters),
                    seeds,
                ),
            ]
        )
    if log_length is not None:
        length = Standardize(mean=log_length[0], scale=log_length[1], name="length")(
            LogLength(name="log_length")(mask)
        )
        x = keras.layers.Concatenate(name="with_length")([x, length])
    x = dense_stack(keras, x, dense_units, "relu", dropout, "dense", seeds)
    outputs = seeds.dense(keras, n_classes, "output", "softmax")(x)
    return keras.Model([values, mask], outputs, name="recurrent_classifier")


def _conv_branch(keras, framed, filters, kernel_sizes, rates, seeds):
    """LSTM-FCN's convolution blocks and masked global average pooling,
    over ``FrameSteps``' output (padded steps already 0)."""
    x, steps = framed
    for i, (n_filters, width, rate) in enumerate(zip(filters, kernel_sizes, rates)):
        x = keras.layers.Conv1D(
            n_filters,
            width,
            padding="same",
            dilation_rate=rate,
            use_bias=False,  # the batch normalisation's offset is the bias
            kernel_initializer=keras.initializers.HeUniform(seed=seeds()),
            name=f"conv_{i}",
        )(x)
        # momentum 0.9, not Keras's 0.99: small sets train few steps, and
        # moving statistics that lag the weights made predictions collapse
        # to one class on some seeds (UCR GunPoint seed 3: 0.49, now 0.99)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"conv_norm_{i}")(
            x, mask=steps
        )
        x = keras.layers.Activation("relu", name=f"conv_relu_{i}")(x)
        # padded frames back to 0, so the next window sees what it would
        # beyond the end of an unpadded sequence
        x, _ = FrameSteps(1, name=f"conv_steps_{i}")(x, steps)
    return keras.layers.GlobalAveragePooling1D(name="conv_pool")(x, mask=steps)
