"""Linear-chain CRF: the layer, its loss, Viterbi decoding and marginals.

Everything a CRF tagger needs in one place. The layer, the loss and the
network class that trains by it (:class:`CRFTaggerModel`) are written with
``keras.ops`` (any backend); :func:`crf_viterbi` decodes with
``keras.ops`` too, and :func:`crf_marginals` (``predict_proba``) is NumPy.
"""

import keras
import numpy as np
from keras import ops
from scipy.special import logsumexp


@keras.saving.register_keras_serializable(package="skneural")
class CRF(keras.layers.Layer):
    """Linear-chain conditional random field over per-token scores.

    The layer holds the learned transition scores (``transitions[i, j]``:
    tag ``i`` followed by tag ``j``, plus start and end scores) and passes
    its input, the per-token emission scores, through unchanged. Training
    uses :func:`crf_log_likelihood` (forward algorithm) through
    :class:`CRFLoss`; decoding uses :func:`crf_viterbi`. Everything is
    written with ``keras.ops``, so it runs on any Keras backend.
    """

    def __init__(self, n_tags, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.n_tags = n_tags
        self.seed = seed

    def build(self, input_shape):
        init = keras.initializers.RandomUniform(-0.1, 0.1, seed=self.seed)
        self.transitions = self.add_weight(
            shape=(self.n_tags, self.n_tags), initializer=init, name="transitions"
        )
        self.start_scores = self.add_weight(
            shape=(self.n_tags,), initializer="zeros", name="start_scores"
        )
        self.end_scores = self.add_weight(
            shape=(self.n_tags,), initializer="zeros", name="end_scores"
        )

    def call(self, inputs):
        # A new tensor, without the padding mask: CRFLoss reads the padding
        # from y_true and returns one value per sequence.
        return ops.copy(inputs)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "n_tags": self.n_tags, "seed": self.seed}


def _sequence_score(emissions, tags, mask, transitions, start, end):
    """Score of the given tag paths: emissions plus transitions."""
    n_tags = ops.shape(transitions)[0]
    mask_f = ops.cast(mask, emissions.dtype)
    emit = ops.take_along_axis(emissions, ops.expand_dims(tags, -1), axis=-1)[..., 0]
    score = ops.sum(emit * mask_f, axis=1)
    pairs = tags[:, :-1] * n_tags + tags[:, 1:]
    trans = ops.take(ops.reshape(transitions, (-1,)), pairs)
    score += ops.sum(trans * mask_f[:, 1:], axis=1)
    lengths = ops.cast(ops.sum(mask_f, axis=1), "int32")
    last = ops.take_along_axis(tags, ops.expand_dims(lengths - 1, -1), axis=1)[:, 0]
    return score + ops.take(start, tags[:, 0]) + ops.take(end, last)


def crf_log_partition(emissions, mask, transitions, start, end):
    """log Z: log-sum-exp of the scores of all tag paths (forward algorithm).

    ``emissions`` is ``(batch, time, n_tags)``; ``mask`` ``(batch, time)``
    is True at real steps (right padding). Masked steps carry the forward
    scores through unchanged.
    """
    mask_f = ops.cast(mask, emissions.dtype)
    alpha = start[None, :] + emissions[:, 0]
    # One scanned tensor (emissions, then the mask as a last column): with
    # two, Keras's TensorFlow scan fails when the number of steps is unknown
    # at trace time, as it is when batches are padded to their own length.
    xs = ops.transpose(
        ops.concatenate([emissions[:, 1:], ops.expand_dims(mask_f[:, 1:], -1)], -1),
        (1, 0, 2),
    )

    def step(alpha, x):
        emit, m = x[:, :-1], x[:, -1]
        scores = (
            ops.expand_dims(alpha, 2) + transitions[None] + ops.expand_dims(emit, 1)
        )
        new = ops.logsumexp(scores, axis=1)
        m = ops.expand_dims(m, -1)
        return new * m + alpha * (1.0 - m), None

    alpha, _ = ops.scan(step, alpha, xs)
    return ops.logsumexp(alpha + end[None, :], axis=-1)


def crf_log_likelihood(emissions, tags, mask, transitions, start, end):
    """Per-sequence log-likelihood of ``tags`` under the CRF."""
    score = _sequence_score(emissions, tags, mask, transitions, start, end)
    return score - crf_log_partition(emissions, mask, transitions, start, end)


def crf_viterbi(emissions, mask, transitions, start, end):
    """Best-scoring tag path per sequence (Viterbi), as an int array.

    Positions beyond a sequence's length are filled with 0.
    """
    emissions = ops.convert_to_tensor(emissions)
    mask_f = ops.cast(ops.convert_to_tensor(mask), emissions.dtype)
    n_steps = int(ops.shape(emissions)[1])
    score = start[None, :] + emissions[:, 0]
    backpointers = []
    for t in range(1, n_steps):
        cand = ops.expand_dims(score, 2) + transitions[None]
        best_prev = ops.argmax(cand, axis=1)
        new = ops.max(cand, axis=1) + emissions[:, t]
        m = ops.expand_dims(mask_f[:, t], -1)
        score = new * m + score * (1.0 - m)
        # a masked step points each tag back to itself
        keep = ops.cast(m, best_prev.dtype)
        same = ops.expand_dims(
            ops.arange(ops.shape(score)[1], dtype=best_prev.dtype), 0
        )
        backpointers.append(best_prev * keep + same * (1 - keep))
    best = ops.argmax(score + end[None, :], axis=-1)
    path = [best]
    for bp in reversed(backpointers):
        best = ops.take_along_axis(bp, ops.expand_dims(best, -1), axis=1)[:, 0]
        path.append(best)
    path = ops.stack(path[::-1], axis=1)
    return ops.convert_to_numpy(path) * ops.convert_to_numpy(mask).astype("int64")


@keras.saving.register_keras_serializable(package="skneural")
class CRFLoss(keras.losses.Loss):
    """Negative CRF log-likelihood; ``y_true`` is padded with -1.

    Holds the CRF layer whose transition scores it reads, so the gradient
    reaches them. That reference does not survive a ``.keras`` file: Keras
    rebuilds a saved model's loss from its config alone, without the model,
    and copies the model's layer configs before it serialises the loss, so
    its object sharing cannot tie the two together either. Deserialising
    this loss therefore raises an error that says what to do instead
    (``load_model(path, compile=False)``). The estimator builds the loss
    again whenever it compiles; the estimator's pickles store no loss.
    """

    def __init__(self, crf_layer, name="crf_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.crf_layer = crf_layer

    @classmethod
    def from_config(cls, config):
        raise ValueError(
            "A CRFLoss reads the transition scores of its model's CRF layer and "
            "cannot be rebuilt from a saved config without that model. Load "
            "the network with keras.models.load_model(path, compile=False); to "
            "train it, compile it with loss=CRFLoss(model.get_layer('crf')). "
            f"Received: config={config}"
        )

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        mask = y_true >= 0
        tags = ops.where(mask, y_true, 0)
        layer = self.crf_layer
        ll = crf_log_likelihood(
            y_pred, tags, mask, layer.transitions, layer.start_scores, layer.end_scores
        )
        lengths = ops.maximum(ops.sum(ops.cast(mask, y_pred.dtype), axis=1), 1.0)
        return -ll / lengths


@keras.saving.register_keras_serializable(package="skneural")
class CRFTaggerModel(keras.Model):
    """A functional tagger network whose loss is its CRF's likelihood.

    Built as ``CRFTaggerModel(inputs, outputs)`` with a :class:`CRF` layer
    named ``"crf"``; compiled without a loss. :meth:`compute_loss` reads the
    transition scores of the model's own CRF layer, so the loss needs no
    reference to the layer in the compile config: a saved ``.keras`` file
    loads compiled, in safe mode, and trains on.
    """

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        loss = self.__dict__.get("_skneural_crf_loss")
        if loss is None:
            loss = CRFLoss(self.get_layer("crf"))
            # object.__setattr__: kept out of Keras's attribute tracking
            object.__setattr__(self, "_skneural_crf_loss", loss)
        total = loss(y, y_pred, sample_weight=sample_weight)
        for extra in self.losses:  # layers' own losses (none in skneural's)
            total = total + ops.cast(extra, total.dtype)
        return total


def crf_marginals(emissions, transitions, start, end):
    """Per-step tag marginals of one sequence (forward-backward, log space).

    NumPy, in float64: ``emissions`` is ``(t, n_tags)`` for one sequence
    (no padding), the weights as the :class:`CRF` layer holds them.
    """

    n, _ = emissions.shape
    alpha = np.empty_like(emissions)
    beta = np.zeros_like(emissions)
    alpha[0] = start + emissions[0]
    for t in range(1, n):
        alpha[t] = logsumexp(alpha[t - 1][:, None] + transitions, axis=0) + emissions[t]
    beta[-1] = end
    for t in range(n - 2, -1, -1):
        beta[t] = logsumexp(
            transitions + (emissions[t + 1] + beta[t + 1])[None], axis=1
        )
    log_z = logsumexp(alpha[-1] + end)
    return np.exp(alpha + beta - log_z)
