"""skneural: neural networks as scikit-learn estimators, on Keras 3.

Importing this package is cheap: Keras (and TensorFlow) are imported only
when a network is first built, used or unpickled.
"""

from ._autoencoder import AutoencoderAnomalyDetector, AutoencoderTransformer
from ._cnn import CNNClassifier
from ._own import NeuralClassifier
from ._recurrent import LSTMSequenceClassifier
from ._regressor import NeuralRegressor
from ._tagger import BiLSTMTagger

__version__ = "0.1.0"

__all__ = [
    "AutoencoderAnomalyDetector",
    "AutoencoderTransformer",
    "BiLSTMTagger",
    "CNNClassifier",
    "LSTMSequenceClassifier",
    "NeuralClassifier",
    "NeuralRegressor",
    "__version__",
]
