"""Bidirectional LSTM sequence tagger network."""

import keras
import numpy as np

from ._common import Seeds, bidirectional_layer, normalization
from .crf import CRF, CRFTaggerModel
from .layers import ReduceMax, VariableDropout


def build_tagger(
    n_tags,
    *,
    vocab_size=None,
    n_chars=None,
    n_features=None,
    embedding_dim=64,
    char_embedding_dim=24,
    char_filters=32,
    n_shapes=None,
    shape_embedding_dim=16,
    word_vectors=None,
    units=(64,),
    bidirectional=True,
    dropout=0.0,
    crf=False,
    mean=0.0,
    variance=1.0,
    seed=None,
):
    """Token features -> (Bi)LSTM -> per-token scores.

    Token input (``vocab_size`` given): inputs ``[word_ids, char_ids,
    shape_ids, vector_ids, mask]``, each ``(batch, time)`` but ``char_ids``
    ``(batch, time, max_chars)``; ``char_ids`` is omitted when ``n_chars``
    is None, ``shape_ids`` when ``n_shapes`` is, ``vector_ids`` when
    ``word_vectors`` is. Each token's word embedding is concatenated with
    a character CNN's max-pooled features (words never seen in training are
    still read by their spelling), an embedding of its shape (casing,
    script, digits: :func:`skneural.preprocessing.token_shape`) and its
    pre-trained vector: row ``i + 2`` of the ``word_vectors`` table
    ``(n_words, dim)`` is vector ``i``; rows 0 and 1, padding and words
    without a vector, are zeros. The pre-trained vectors are not trained
    further: the words seen in training would drift away from those only in
    the table, which are the ones the vectors are for.

    Numeric input (``n_features`` given): inputs ``[values, mask]`` with
    ``values`` ``(batch, time, n_features)``, standardised with
    ``mean``/``variance``.

    The output is per-token softmax probabilities, or with ``crf=True`` the
    emission scores passed through a :class:`CRF` layer named ``"crf"``
    (the estimator decodes them with Viterbi); the model is then a
    :class:`CRFTaggerModel`, which trains by the CRF's likelihood.

    ``seed`` seeds every initialiser and dropout (:class:`Seeds`).

    Returns
    -------
    model : keras.Model
    """
    seeds = Seeds(seed)
    mask = keras.Input(shape=(None,), dtype="bool", name="token_mask")
    if vocab_size is not None:
        word_ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
        inputs = [word_ids]
        x = keras.layers.Embedding(
            vocab_size,
            embedding_dim,
            embeddings_initializer=_uniform(keras, seeds),
            name="word_embedding",
        )(word_ids)
        parts = [x]
        if n_chars is not None:
            char_ids = keras.Input(shape=(None, None), dtype="int32", name="char_ids")
            inputs.append(char_ids)
            c = keras.layers.Embedding(
                n_chars,
                char_embedding_dim,
                embeddings_initializer=_uniform(keras, seeds),
                name="char_embedding",
            )(char_ids)
            # A (1, 3) 2-D convolution over (tokens, characters) is a 1-D
            # convolution along each token's characters; then the max over
            # characters. (TimeDistributed over a dynamic number of tokens
            # mis-shapes its output inside tf.function.)
            c = keras.layers.Conv2D(
                char_filters,
                (1, 3),
                padding="same",
                activation="relu",
                kernel_initializer=seeds.glorot(keras),
                name="char_cnn",
            )(c)
            parts.append(ReduceMax(axis=2, name="char_pool")(c))
        if n_shapes is not None:
            shape_ids = keras.Input(shape=(None,), dtype="int32", name="shape_ids")
            inputs.append(shape_ids)
            parts.append(
                keras.layers.Embedding(
                    n_shapes,
                    shape_embedding_dim,
                    embeddings_initializer=_uniform(keras, seeds),
                    name="shape_embedding",
                )(shape_ids)
            )
        if word_vectors is not None:
            vector_ids = keras.Input(shape=(None,), dtype="int32", name="vector_ids")
            inputs.append(vector_ids)
            table = keras.layers.Embedding(
                len(word_vectors) + 2,
                word_vectors.shape[1],
                embeddings_initializer="zeros",
                trainable=False,
                name="word_vectors",
            )
            parts.append(table(vector_ids))
            # set, not passed as a Constant initializer: that would put the
            # whole table into the network's config
            table.embeddings.assign(
                np.concatenate([np.zeros((2, word_vectors.shape[1])), word_vectors])
            )
        if len(parts) > 1:
            x = keras.layers.Concatenate(name="token_features")(parts)
    else:
        values = keras.Input(shape=(None, n_features), name="values")
        inputs = [values]
        x = normalization(keras, mean, variance, axis=-1)(values)
    inputs.append(mask)
    if dropout > 0:
        x = VariableDropout(dropout, seed=seeds(), name="input_dropout")(x)
    for i, n_units in enumerate(units):

        def make_layer(go_backwards, i=i, n_units=n_units):
            return keras.layers.LSTM(
                n_units,
                return_sequences=True,
                go_backwards=go_backwards,
                name=f"lstm_{i}" + ("_backward" if go_backwards else ""),
                **seeds.recurrent_kwargs(keras),
            )

        if bidirectional:
            layer = bidirectional_layer(keras, make_layer, f"bidirectional_{i}")
        else:
            layer = make_layer(go_backwards=False)
        x = layer(x, mask=mask)
        if dropout > 0:
            x = VariableDropout(dropout, seed=seeds(), name=f"dropout_{i}")(x)
    if crf:
        scores = seeds.dense(keras, n_tags, "emissions")(x)
        outputs = CRF(n_tags, seed=seeds(), name="crf")(scores)
        # its loss is its CRF's likelihood: compiled without one
        return CRFTaggerModel(inputs, outputs, name="tagger")
    outputs = seeds.dense(keras, n_tags, "output", "softmax")(x)
    return keras.Model(inputs, outputs, name="tagger")


def _uniform(keras, seeds):
    """Keras's default embedding initialiser (uniform in +-0.05), seeded."""
    return keras.initializers.RandomUniform(-0.05, 0.05, seed=seeds())
