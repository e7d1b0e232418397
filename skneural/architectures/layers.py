"""Custom Keras layers, written with ``keras.ops`` (any backend)."""

import keras
from keras import ops


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
        keep = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator)
        return ops.where(keep >= self.rate, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
