"""Custom Keras layers, written with ``keras.ops`` (any backend)."""

import keras
import numpy as np
from keras import ops


def _setting_variable(layer, value, name):
    """A non-trainable scalar weight of ``layer`` holding ``value``.

    For the layers whose setting a train step reads from a variable rather
    than tracing it as a constant (:class:`VariableDropout`, the noise
    layers, the recurrent layers' dropout rates): a fit loads its own value
    into a shared network along with the weights
    (``skneural._shells.LOADED_SETTINGS``), so the networks of a search
    over that setting share one trace.
    """
    return layer.add_weight(
        shape=(),
        initializer=keras.initializers.Constant(float(value)),
        trainable=False,
        name=name,
    )


def _dropped(inputs, rate, seed_generator):
    """``inputs`` with dropout at ``rate``, a float or a scalar tensor.

    Keras's own dropout branches in Python on the rate (0? 1?), which a
    rate read from a variable cannot go through; this is its TensorFlow
    form (keep where a uniform draw from ``seed_generator`` is ``>= rate``,
    scale by ``1 / (1 - rate)``) in ``keras.ops``.
    """
    rate = ops.cast(rate, inputs.dtype)
    draws = keras.random.uniform(
        ops.shape(inputs), seed=seed_generator, dtype=inputs.dtype
    )
    return ops.where(draws >= rate, inputs / (1 - rate), ops.zeros_like(inputs))


@keras.saving.register_keras_serializable(package="skneural")
class VariableDropout(keras.layers.Layer):
    """Keras's ``Dropout``, its rate held in a (non-trainable) variable.

    Keras's ``Dropout`` traces its rate into the train step as a constant,
    so every dropout rate of a search traced the network's steps anew. Here
    the step reads the rate from a variable, and a fit loads its own rate
    into a shared network with the rest of its state (see ``_shells``): a
    search over ``dropout`` traces once. The masks are drawn as Keras's
    TensorFlow dropout draws them (a uniform draw from the layer's seed
    generator, kept where ``>= rate``).

    >>> import numpy as np
    >>> layer = VariableDropout(0.5, seed=0)
    >>> x = np.ones((2, 1000), "float32")
    >>> y = np.asarray(layer(x, training=True))
    >>> sorted(set(y.ravel().tolist()))  # dropped, or scaled by 1 / (1 - 0.5)
    [0.0, 2.0]
    >>> bool(np.all(np.asarray(layer(x)) == x))  # no dropout at inference
    True
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Expected a float in [0, 1). Received: rate={rate}")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.rate_variable = _setting_variable(self, self.rate, "rate")
        self.built = True  # (its only weight)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training:
            return inputs
        return _dropped(inputs, self.rate_variable, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="skneural")
class MaskingNoise(keras.layers.Layer):
    """Set each input value to 0 with probability ``rate``, in training only.

    Masking noise for denoising autoencoders: on standardised inputs, 0 is
    the feature's mean, so a masked value carries no information. Unlike
    ``Dropout`` the kept values are not rescaled.
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Expected a float between 0 and 1. Received: rate={rate}")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return self._masked(inputs, self.rate)

    def _masked(self, inputs, rate):
        """``inputs`` with each value set to 0 where a uniform draw from
        the layer's seed is below ``rate`` (a float or a scalar tensor)."""
        keep = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
        return ops.where(
            keep >= ops.cast(rate, keep.dtype), inputs, ops.zeros_like(inputs)
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="skneural")
class VariableMaskingNoise(MaskingNoise):
    """:class:`MaskingNoise`, its rate held in a (non-trainable) variable.

    What the autoencoders build: a search over ``noise`` then traces their
    steps once, as :class:`VariableDropout` does for ``dropout``. The masks
    are :class:`MaskingNoise`'s for the same seed (which networks pickled
    before this layer existed keep).

    >>> import numpy as np
    >>> layer = VariableMaskingNoise(0.3, seed=0)
    >>> x = np.ones((100, 100), "float32")
    >>> kept = np.asarray(layer(x, training=True))
    >>> sorted(set(kept.ravel().tolist()))  # masked to 0, the rest unchanged
    [0.0, 1.0]
    >>> bool(abs(np.mean(kept == 0) - 0.3) < 0.03)  # 10,000 draws
    True
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.rate_variable = _setting_variable(self, rate, "rate")
        self.built = True  # (its only weight)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        # (no Python branch on the rate: the loaded value is a tensor)
        return self._masked(inputs, self.rate_variable)


@keras.saving.register_keras_serializable(package="skneural")
class VariableGaussianNoise(keras.layers.Layer):
    """Keras's ``GaussianNoise``, its standard deviation held in a variable.

    Add zero-centred Gaussian noise of standard deviation ``stddev``, in
    training only. What the autoencoders build, so that a search over
    ``noise`` traces once (as :class:`VariableDropout` for ``dropout``).
    The noise is Keras's draw of standard normal values from the layer's
    seed, scaled by ``stddev``: on TensorFlow exactly the values that
    ``keras.layers.GaussianNoise(stddev, seed)`` adds. Unlike Keras's layer,
    any ``stddev >= 0`` is accepted: the autoencoders' inputs are
    standardised, so noise above one standard deviation is a strong but
    meaningful corruption.

    >>> import numpy as np
    >>> layer = VariableGaussianNoise(0.5, seed=0)
    >>> x = np.zeros((200, 100), "float32")
    >>> bool(abs(np.std(np.asarray(layer(x, training=True))) - 0.5) < 0.02)
    True
    >>> bool(np.all(np.asarray(layer(x)) == x))  # no noise at inference
    True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not stddev >= 0:
            raise ValueError(f"Expected a float stddev >= 0. Received: stddev={stddev}")
        self.stddev = float(stddev)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.stddev_variable = _setting_variable(self, self.stddev, "stddev")
        self.built = True  # (its only weight)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training:
            return inputs
        # Keras's TensorFlow normal is draw * stddev + mean; with stddev 1
        # and mean 0 that is the draw itself, so scaling it here adds the
        # same values as GaussianNoise(stddev) does.
        draws = keras.random.normal(
            ops.shape(inputs),
            mean=0.0,
            stddev=1.0,
            dtype=self.compute_dtype,
            seed=self.seed_generator,
        )
        return inputs + draws * ops.cast(self.stddev_variable, draws.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class _VariableRatesCell:
    """Dropout masks of Keras's LSTM and GRU cells at rates read from
    variables (``dropout_variable``, ``recurrent_dropout_variable``).

    Keras's recurrent cells draw their masks at the rates as Python floats,
    constants of the trace, so every dropout rate of a search traced the
    network anew (on TensorFlow, seconds per rate for a small LSTM). The
    cell keeps its float rates, for Keras's branches on whether there is
    dropout at all; the masks are drawn at the variables' rates, from the
    cell's own seed generator, as :func:`_dropped` draws them. This
    overrides the four methods through which Keras's recurrent layers use a
    cell's masks (Keras 3.8-3.15: ``RNN`` fills the masks before its loop
    and clears them after; ``LSTM``'s fused path takes the input mask).
    """

    @classmethod
    def adopt(cls, layer):
        """Make the cell that Keras's recurrent ``layer`` made one of these."""
        cell = layer.cell
        # (a class change: Keras wrapped the cell's build when it made it)
        cell.__class__ = cls
        # made before the layer is built, so under its name by hand (the
        # cell adds its own): every variable's path is unique in a network,
        # as Keras's state tree needs
        with keras.name_scope(layer.name):
            cell.dropout_variable = _setting_variable(cell, cell.dropout, "dropout")
            cell.recurrent_dropout_variable = _setting_variable(
                cell, cell.recurrent_dropout, "recurrent_dropout"
            )
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()

    def _masks(self, step_input, rate):
        # one mask, or one per gate where Keras's cell uses a list of them
        count = getattr(self, "dropout_mask_count", None)
        ones = ops.ones_like(step_input)
        masks = [_dropped(ones, rate, self.seed_generator) for _ in range(count or 1)]
        return masks if count is not None else masks[0]

    def get_dropout_mask(self, step_input):
        if self._input_masks is None and self.dropout > 0:
            self._input_masks = self._masks(step_input, self.dropout_variable)
        return self._input_masks

    def get_recurrent_dropout_mask(self, step_input):
        if self._state_masks is None and self.recurrent_dropout > 0:
            self._state_masks = self._masks(step_input, self.recurrent_dropout_variable)
        return self._state_masks

    def reset_dropout_mask(self):
        self._input_masks = None

    def reset_recurrent_dropout_mask(self):
        self._state_masks = None


class _VariableRatesLSTMCell(_VariableRatesCell, keras.layers.LSTMCell):
    pass


class _VariableRatesGRUCell(_VariableRatesCell, keras.layers.GRUCell):
    pass


class _VariableRatesLayer:
    """A Keras recurrent layer whose cell (of class ``cell_class``) reads
    its dropout rates from variables."""

    cell_class = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Keras's layer makes its own cell (no argument takes another):
        # give that cell the variable rates, its state and config unchanged
        self.cell_class.adopt(self)


@keras.saving.register_keras_serializable(package="skneural")
class VariableDropoutLSTM(_VariableRatesLayer, keras.layers.LSTM):
    """Keras's ``LSTM``, its ``dropout`` and ``recurrent_dropout`` rates
    held in (non-trainable) variables of its cell.

    What the recurrent classifier builds, so that a search over its
    dropout rates traces once (as :class:`VariableDropout` for dense
    layers). Everything else is Keras's layer, its fused (cuDNN) path
    included. Zero and non-zero rates still build different steps (Keras
    branches on them), so they get networks of their own.

    >>> import numpy as np
    >>> layer = VariableDropoutLSTM(4, dropout=0.5, seed=0)
    >>> x = np.ones((2, 3, 5), "float32")
    >>> tuple(layer(x).shape)
    (2, 4)
    >>> float(layer.cell.dropout_variable.numpy())
    0.5
    """

    cell_class = _VariableRatesLSTMCell


@keras.saving.register_keras_serializable(package="skneural")
class VariableDropoutGRU(_VariableRatesLayer, keras.layers.GRU):
    """Keras's ``GRU``, its dropout rates held in variables of its cell
    (see :class:`VariableDropoutLSTM`).

    >>> import numpy as np
    >>> layer = VariableDropoutGRU(4, recurrent_dropout=0.25, seed=0)
    >>> tuple(layer(np.ones((2, 3, 5), "float32")).shape)
    (2, 4)
    >>> float(layer.cell.recurrent_dropout_variable.numpy())
    0.25
    """

    cell_class = _VariableRatesGRUCell


@keras.saving.register_keras_serializable(package="skneural")
class FrameSteps(keras.layers.Layer):
    """Join every ``frame_length`` consecutive timesteps into one step.

    Takes ``values`` of shape ``(batch, timesteps, features)`` and a boolean
    step mask ``(batch, timesteps)``; returns ``(batch, frames,
    frame_length * features)`` and the frame mask (True where a frame holds
    at least one real step). Padded steps, inside a sequence's last partial
    frame or beyond it, read as 0, so a sequence gives the same frames
    whatever it is padded to. A recurrent layer on frames runs
    ``frame_length`` times fewer steps: gradients cross fewer steps, and the
    layer's input weights still see every value (a strided, non-overlapping
    linear read of the raw steps).
    """

    def __init__(self, frame_length, **kwargs):
        super().__init__(**kwargs)
        self.frame_length = int(frame_length)
        # The step mask is an input of its own: a Keras mask attached to
        # ``values`` (batch normalisation called with a mask attaches one)
        # is read through it, and none is attached to the outputs.
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def call(self, values, steps_mask):
        k = self.frame_length
        on = ops.cast(steps_mask, values.dtype)
        values = values * ops.expand_dims(on, -1)
        if k == 1:
            return values, ops.cast(steps_mask, "bool")
        n_features = values.shape[-1]
        shape = ops.shape(values)
        pad = (k - shape[1] % k) % k
        values = ops.pad(values, [[0, 0], [0, pad], [0, 0]])
        on = ops.pad(on, [[0, 0], [0, pad]])
        frames = (shape[1] + pad) // k
        values = ops.reshape(values, (shape[0], frames, k * n_features))
        mask = ops.max(ops.reshape(on, (shape[0], frames, k)), axis=-1) > 0
        return values, mask

    def compute_output_shape(self, values_shape, steps_mask_shape=None):
        # Keras before 3.9 passes the first input's shape only
        steps = values_shape[1]
        frames = None if steps is None else -(-steps // self.frame_length)
        return (
            (values_shape[0], frames, values_shape[2] * self.frame_length),
            (values_shape[0], frames),
        )

    def get_config(self):
        return {**super().get_config(), "frame_length": self.frame_length}


@keras.saving.register_keras_serializable(package="skneural")
class ReduceMax(keras.layers.Layer):
    """Maximum over one axis (e.g. over the characters of each token)."""

    def __init__(self, axis, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return ops.max(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        del shape[self.axis]
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@keras.saving.register_keras_serializable(package="skneural")
class LogLength(keras.layers.Layer):
    """Log of each sequence's number of real steps, from its step mask.

    Takes a boolean mask of shape ``(batch, timesteps)``; returns shape
    ``(batch, 1)``. It reads the mask only, so padding never changes it.
    """

    # the argument is named ``inputs``: Keras before 3.9 passes
    # compute_output_shape the shape of an argument of that name only
    def call(self, inputs):
        n = ops.sum(ops.cast(inputs, "float32"), axis=1, keepdims=True)
        return ops.log(ops.maximum(n, 1.0))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


@keras.saving.register_keras_serializable(package="skneural")
class MaskedTagLoss(keras.losses.Loss):
    """Per-token softmax cross-entropy, zero at padding.

    ``y_true`` is padded with -1. ``class_weights`` (one per tag) weighs
    each token by its true tag. Per-token values are returned: Keras's loss
    reduction then averages over the real tokens using the padding mask the
    network's output carries.
    """

    def __init__(self, class_weights=None, name="masked_tag_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.class_weights = class_weights

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(y_true >= 0, y_pred.dtype)
        tags = ops.where(y_true >= 0, y_true, 0)
        ce = keras.losses.sparse_categorical_crossentropy(tags, y_pred)
        weights = mask
        if self.class_weights is not None:
            w = ops.convert_to_tensor(self.class_weights, dtype=y_pred.dtype)
            weights = weights * ops.take(w, tags)
        return ce * weights

    def get_config(self):
        w = self.class_weights
        w = None if w is None else [float(v) for v in np.ravel(w)]
        return {**super().get_config(), "class_weights": w}


@keras.saving.register_keras_serializable(package="skneural")
class MaskedTokenAccuracy(keras.metrics.Metric):
    """Token accuracy over real tokens (``y_true`` padded with -1)."""

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(y_true >= 0, "float32")
        pred = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        hit = ops.cast(ops.equal(pred, y_true), "float32") * mask
        self.correct.assign(self.correct + ops.sum(hit))
        self.total.assign(self.total + ops.sum(mask))

    def result(self):
        return self.correct / ops.maximum(self.total, 1.0)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


@keras.saving.register_keras_serializable(package="skneural")
class ChronoInitializer(keras.initializers.Initializer):
    """Chrono initialisation of an LSTM's gate biases (Tallec & Ollivier).

    Forget-gate biases are ``log(u)`` with ``u ~ Uniform(1, max_timesteps -
    1)`` and input-gate biases their negatives, so that, from the start,
    memories decay over time scales up to the sequence length. With Keras's
    default (forget bias 1) a memory fades by ``sigmoid(1) ~ 0.73`` per step,
    and a class decided by the first of 100 steps is not learned at all.
    Keras's LSTM bias layout is ``[input, forget, cell, output]``.
    """

    def __init__(self, max_timesteps, seed=None):
        self.max_timesteps = float(max_timesteps)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        units = shape[0] // 4
        rng = np.random.RandomState(self.seed)
        high = max(self.max_timesteps - 1.0, 2.0)
        forget = np.log(rng.uniform(1.0, high, size=units))
        bias = np.concatenate([-forget, forget, np.zeros(2 * units)])
        return ops.convert_to_tensor(bias, dtype=dtype or "float32")

    def get_config(self):
        return {"max_timesteps": self.max_timesteps, "seed": self.seed}


@keras.saving.register_keras_serializable(package="skneural")
class Standardize(keras.layers.Layer):
    """``(x - mean) / scale`` with statistics computed before training.

    Like ``keras.layers.Normalization`` given ``mean`` and ``variance``, but
    the layer keeps the standard deviation rather than the variance: the
    variance of values near 1e20 or beyond overflows float32 (its largest
    value is 3.4e38), and a Normalization layer then maps every row to the
    same output. The statistics are non-trainable weights (pickled with the
    other weights).

    Parameters
    ----------
    axis : int or tuple of int
        Axes that keep their own statistics (``-1``: per feature or channel),
        as in ``Normalization``.
    mean, scale : array-like or float, default=None
        Statistics of shape ``[input_shape[a] for a in axis]`` (a scalar
        applies to every feature); ``None``
        (when a saved model is rebuilt) leaves 0 and 1 until weights are set.
    """

    def __init__(self, axis=-1, mean=None, scale=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        self._init = (mean, scale)

    def build(self, input_shape):
        rank = len(input_shape)
        axes = sorted(a % rank for a in self.axis)
        shape = tuple(input_shape[a] if a in axes else 1 for a in range(rank))
        mean, scale = self._init
        self.mean = self.add_weight(
            shape=shape, initializer="zeros", trainable=False, name="mean"
        )
        self.scale = self.add_weight(
            shape=shape, initializer="ones", trainable=False, name="scale"
        )
        if mean is not None:
            self.mean.assign(_broadcast_stat(mean, shape))
            self.scale.assign(_broadcast_stat(scale, shape))

    def call(self, inputs):
        return (inputs - ops.cast(self.mean, inputs.dtype)) / ops.cast(
            self.scale, inputs.dtype
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _broadcast_stat(values, shape):
    """A statistic as a float32 array of the layer's weight ``shape``."""
    values = np.asarray(values, dtype=np.float32)
    if values.size == 1:
        return np.full(shape, values.item(), dtype=np.float32)
    return values.reshape(shape)
