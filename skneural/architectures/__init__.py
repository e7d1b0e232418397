"""Pure Keras network builders (no scikit-learn in here).

Each ``build_*`` function returns an uncompiled ``keras.Model``; the
estimators decide the arguments, the shared base compiles and trains.
Importing this package imports Keras.
"""

from .cnn import build_cnn

__all__ = ["build_cnn"]
