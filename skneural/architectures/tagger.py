"""Bidirectional LSTM sequence tagger network."""

import keras

from ._common import normalization
from .layers import CRF, ReduceMax


def build_tagger(
    n_tags,
    *,
    vocab_size=None,
    n_chars=None,
    n_features=None,
    embedding_dim=64,
    char_embedding_dim=24,
    char_filters=32,
    units=(64,),
    bidirectional=True,
    dropout=0.0,
    crf=False,
    mean=0.0,
    variance=1.0,
):
    """Token features -> (Bi)LSTM -> per-token scores.

    Token input (``vocab_size`` given): inputs ``[word_ids, char_ids,
    mask]``; ``word_ids`` ``(batch, time)``, ``char_ids`` ``(batch, time,
    max_chars)`` (omitted when ``n_chars`` is None), ``mask`` ``(batch,
    time)``. Word embeddings are concatenated with a character CNN's
    max-pooled features per token, so unseen words are still read by their
    spelling. Numeric input (``n_features`` given): inputs ``[values,
    mask]`` with ``values`` ``(batch, time, n_features)``, standardised
    with ``mean``/``variance``.

    The output is per-token softmax probabilities, or with ``crf=True`` the
    emission scores passed through a :class:`CRF` layer named ``"crf"``
    (the estimator decodes them with Viterbi).

    Returns
    -------
    model : keras.Model
    """
    mask = keras.Input(shape=(None,), dtype="bool", name="token_mask")
    if vocab_size is not None:
        word_ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
        inputs = [word_ids]
        x = keras.layers.Embedding(vocab_size, embedding_dim, name="word_embedding")(
            word_ids
        )
        if n_chars is not None:
            char_ids = keras.Input(shape=(None, None), dtype="int32", name="char_ids")
            inputs.append(char_ids)
            c = keras.layers.Embedding(
                n_chars, char_embedding_dim, name="char_embedding"
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
                name="char_cnn",
            )(c)
            c = ReduceMax(axis=2, name="char_pool")(c)
            x = keras.layers.Concatenate(name="token_features")([x, c])
    else:
        values = keras.Input(shape=(None, n_features), name="values")
        inputs = [values]
        x = normalization(keras, mean, variance, axis=-1)(values)
    inputs.append(mask)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="input_dropout")(x)
    for i, n_units in enumerate(units):
        layer = keras.layers.LSTM(n_units, return_sequences=True, name=f"lstm_{i}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}")
        x = layer(x, mask=mask)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    if crf:
        scores = keras.layers.Dense(n_tags, name="emissions")(x)
        outputs = CRF(n_tags, name="crf")(scores)
    else:
        outputs = keras.layers.Dense(n_tags, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="tagger")
