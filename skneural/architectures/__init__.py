"""Pure Keras network builders (no scikit-learn in here).

Each ``build_*`` function returns an uncompiled ``keras.Model``; the
estimators decide the arguments, the shared base compiles and trains.
Importing this package imports Keras (and registers the custom layers, which
unpickling needs).
"""

from .autoencoder import build_autoencoder
from .cnn import build_cnn
from .crf import CRF
from .layers import MaskingNoise
from .recurrent import build_recurrent_classifier
from .tagger import build_tagger

__all__ = [
    "build_autoencoder",
    "build_cnn",
    "build_recurrent_classifier",
    "build_tagger",
    "CRF",
    "MaskingNoise",
]
