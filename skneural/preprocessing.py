"""Sequence handling: validation, padding and masks (NumPy only)."""

import unicodedata

import numpy as np

__all__ = ["as_sequence_list", "pad_sequences", "token_shape"]


def as_sequence_list(X, *, data_format="channels_last", name="X"):
    """Validate sequence input and return a list of ``(t_i, features)`` arrays.

    Accepts a 3-D array ``(n, timesteps, features)``, a 2-D array
    ``(n, timesteps)`` of univariate series, or a list of ``(t_i, features)``
    (or 1-D ``(t_i,)``) arrays of different lengths. With
    ``data_format="channels_first"`` arrays are ``(n, features, timesteps)``
    and list items ``(features, t_i)``, as aeon and sktime lay them out.

    Raises
    ------
    ValueError
        For empty input, empty sequences, arrays of more than 3 dimensions,
        different feature counts, or NaN/inf values.
    TypeError
        For sparse matrices or non-numeric values.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.preprocessing import as_sequence_list
    >>> [s.shape for s in as_sequence_list([np.zeros(3), np.zeros((5, 1))])]
    [(3, 1), (5, 1)]
    >>> as_sequence_list(np.zeros((2, 4, 3)), data_format="channels_first")[0].shape
    (3, 4)
    """
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"Sparse data was passed for {name}, but sequences must be dense "
            "arrays or a list of arrays."
        )
    if hasattr(X, "iloc") or hasattr(X, "to_numpy"):  # pandas: rows of series
        X = X.to_numpy()
    elif not isinstance(X, (list, tuple, np.ndarray)) and hasattr(X, "__array__"):
        X = np.asarray(X)
    channels_first = data_format == "channels_first"
    if isinstance(X, np.ndarray) and X.dtype != object:
        X = _as_float32(X, name)
        if X.ndim in (2, 3) and 0 in X.shape[1:]:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={X.shape}) while a "
                f"minimum of 1 is required: {name} has no timesteps or no "
                "features."
            )
        if X.ndim == 3:
            seqs = X.transpose(0, 2, 1) if channels_first else X
            seqs = list(seqs)
        elif X.ndim == 2:
            seqs = list(X[:, :, None])
        else:
            raise ValueError(
                f"Expected {name} as a 3-D array (n_samples, timesteps, "
                "features), a 2-D array (n_samples, timesteps) or a list of "
                f"arrays. Received an array with {X.ndim} dimension(s) of "
                f"shape {X.shape}. Reshape your data: one univariate "
                "sequence is X.reshape(1, -1)."
            )
    else:
        try:
            seqs = list(X)
        except TypeError as exc:
            raise TypeError(
                f"Expected {name} as an array or a list of arrays. "
                f"Received {type(X).__name__}."
            ) from exc
        seqs = [_one_sequence(s, i, channels_first, name) for i, s in enumerate(seqs)]
    if len(seqs) == 0:
        raise ValueError(
            f"Found {name} with 0 sequences (an empty list or array), while a "
            "minimum of 1 is required."
        )
    n_features = {s.shape[1] for s in seqs}
    if len(n_features) > 1:
        raise ValueError(
            f"All sequences in {name} must have the same number of features. "
            f"Received feature counts {sorted(n_features)}."
        )
    for i, s in enumerate(seqs):
        if s.shape[0] == 0:
            raise ValueError(f"Sequence {i} of {name} is empty (0 timesteps).")
        if not np.isfinite(s).all():
            raise ValueError(
                f"Input {name} contains NaN or infinity (in sequence {i})."
            )
    return seqs


def _reject_complex(a, name):
    # NumPy would cast complex to float32 by dropping the imaginary part
    if np.iscomplexobj(a):
        raise ValueError(
            f"Complex data not supported: {name} must hold real numbers. "
            f"Received: {name}.dtype={np.asarray(a).dtype}"
        )


def _as_float32(X, name):
    _reject_complex(X, name)
    try:
        return np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be numeric. Received an array of dtype {X.dtype}."
        ) from exc


def _one_sequence(s, i, channels_first, name):
    _reject_complex(s, f"sequence {i} of {name}")
    try:
        a = np.asarray(s, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"Sequence {i} of {name} is not numeric: {exc}. Received "
            f"{type(s).__name__}."
        ) from exc
    if a.ndim == 1:
        return a[:, None]
    if a.ndim == 2:
        return a.T if channels_first else a
    raise ValueError(
        f"Each sequence in {name} must be 1-D (timesteps,) or 2-D "
        f"(timesteps, features). Received sequence {i} with shape {a.shape}."
    )


def pad_sequences(seqs, dtype=np.float32):
    """Right-pad sequences with zeros; return ``(values, mask)``.

    ``values`` has shape ``(n, max_t, features)``; ``mask`` ``(n, max_t)`` is
    True at real timesteps. The network is given the mask explicitly, so no
    data value is reserved as a padding marker.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural.preprocessing import pad_sequences
    >>> values, mask = pad_sequences([np.ones((2, 1)), np.ones((3, 1))])
    >>> values.shape, mask.sum(axis=1).tolist()
    ((2, 3, 1), [2, 3])
    """
    lengths = np.array([len(s) for s in seqs])
    n_features = seqs[0].shape[1]
    values = np.zeros((len(seqs), lengths.max(), n_features), dtype=dtype)
    mask = np.arange(lengths.max())[None, :] < lengths[:, None]
    for i, s in enumerate(seqs):
        values[i, : len(s)] = s
    return values, mask


def build_vocabulary(items, min_frequency=1):
    """Map items seen at least ``min_frequency`` times to ids from 2.

    Id 0 is padding and id 1 stands for anything not in the vocabulary.
    ``items`` is an iterable of items, or a mapping of item to count (a
    ``collections.Counter``).

    Examples
    --------
    >>> from skneural.preprocessing import build_vocabulary
    >>> build_vocabulary(["b", "a", "b"], min_frequency=2)
    {'b': 2}
    """
    from collections import Counter

    counts = Counter(items)
    kept = sorted(k for k, c in counts.items() if c >= min_frequency)
    return {k: i + 2 for i, k in enumerate(kept)}


def _char_class(c):
    """One character's class for :func:`token_shape`."""
    if c.isdigit():
        return "0"
    if c.isupper():
        return "A"
    if c.islower():
        return "a"
    code = ord(c)
    if 0x3040 <= code <= 0x309F:
        return "H"  # hiragana
    if 0x30A0 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:
        return "K"  # katakana (full and half width, with the long-vowel mark)
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or c in "々〆":
        return "C"  # CJK ideographs
    if c.isalpha():
        return "L"  # letters without case (Arabic, Thai, Hangul, ...)
    if c.isspace():
        return " "
    if c.isascii():
        return c  # ASCII punctuation tells much by itself: "-", ".", "$"
    return "." if unicodedata.category(c).startswith("P") else "$"


def token_shape(token, max_length=5):
    """A token's shape: its characters' classes, repeats collapsed.

    ``A`` upper case, ``a`` lower case, ``0`` digit, ``H`` hiragana, ``K``
    katakana, ``C`` CJK ideograph, ``L`` another letter, ASCII punctuation
    as itself, ``.``/``$`` other punctuation/symbols. Shapes longer than
    ``max_length`` keep their first ``max_length - 1`` classes and their
    last. The shape says what a word's casing or script says (a capitalised
    word, a number, a katakana loanword) for words the vocabulary never saw.

    Examples
    --------
    >>> from skneural.preprocessing import token_shape
    >>> [token_shape(t) for t in ["Paris", "U.S.", "2005", "ダーバン", "共和"]]
    ['Aa', 'A.A.', '0', 'K', 'C']
    """
    shape = []
    for c in token:
        k = _char_class(c)
        if not shape or shape[-1] != k:
            shape.append(k)
    if len(shape) > max_length:
        shape = shape[: max_length - 1] + shape[-1:]
    return "".join(shape)


def encode_tokens(
    sentences,
    vocabulary,
    char_vocabulary,
    *,
    word,
    max_chars,
    shape_vocabulary=None,
    vector_vocabulary=None,
):
    """Token sentences -> ``(word_ids, [char_ids,] [shape_ids,] [vector_ids,]
    mask)`` padded arrays.

    ``word`` maps a token to its vocabulary key (e.g. lowercasing). Unknown
    words, characters and shapes get id 1; padding is 0. ``char_ids`` comes
    with a ``char_vocabulary``, ``shape_ids`` (each token's
    :func:`token_shape`) with a ``shape_vocabulary``, ``vector_ids`` (the
    row of a pre-trained vector: the token's own, else its lowercase form's)
    with a ``vector_vocabulary``.

    Examples
    --------
    >>> from skneural.preprocessing import encode_tokens
    >>> words, chars, mask = encode_tokens(
    ...     [["ab", "c"], ["zz"]], {"ab": 2, "c": 3}, {"a": 2, "b": 3, "c": 4},
    ...     word=str, max_chars=5,
    ... )
    >>> words.tolist(), chars[0, 0].tolist(), mask.tolist()
    ([[2, 3], [1, 0]], [2, 3], [[True, True], [True, False]])
    """
    n, max_len = len(sentences), max(len(s) for s in sentences)
    word_ids = np.zeros((n, max_len), dtype=np.int32)
    mask = np.zeros((n, max_len), dtype=bool)
    chars = shapes = None
    if char_vocabulary is not None:
        width = min(max_chars, max(len(t) for s in sentences for t in s))
        chars = np.zeros((n, max_len, max(width, 1)), dtype=np.int32)
    if shape_vocabulary is not None:
        shapes = np.zeros((n, max_len), dtype=np.int32)
    vectors = None
    if vector_vocabulary is not None:
        vectors = np.zeros((n, max_len), dtype=np.int32)
    for i, sentence in enumerate(sentences):
        mask[i, : len(sentence)] = True
        word_ids[i, : len(sentence)] = [vocabulary.get(word(t), 1) for t in sentence]
        if chars is not None:
            for j, token in enumerate(sentence):
                ids = [char_vocabulary.get(c, 1) for c in token[: chars.shape[2]]]
                chars[i, j, : len(ids)] = ids
        if shapes is not None:
            shapes[i, : len(sentence)] = [
                shape_vocabulary.get(token_shape(t), 1) for t in sentence
            ]
        if vectors is not None:
            vectors[i, : len(sentence)] = [
                vector_vocabulary.get(t) or vector_vocabulary.get(t.lower(), 1)
                for t in sentence
            ]
    arrays = (word_ids, chars, shapes, vectors, mask)
    return tuple(a for a in arrays if a is not None)


def check_sentences(X, owner):
    """Validate a list of sentences (the tagger's X); return (list, is_token_input).

    ``owner`` is the estimator's class name, for the errors.
    """
    if isinstance(X, np.ndarray) and X.dtype != object and X.ndim == 2:
        raise ValueError(
            f"{owner} expects a list of sentences (each a list of tokens "
            f"or a (t_i, n_features) array). Received a 2-D array of shape {X.shape}."
        )
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(
            f"{owner} expects a list of sentences. Received: X of type "
            f"{type(X).__name__}."
        )
    sentences = list(X)
    if not sentences:
        raise ValueError(
            "X must hold at least one sentence. Received: X=[] (0 sentences)"
        )
    if isinstance(sentences[0], str):
        raise TypeError(
            f"{owner} expects a list of sentences, each a list of tokens "
            "(for one sentence: [tokens]). Received a list of str: "
            f"X[0]={sentences[0]!r}."
        )
    first = sentences[0]
    token_mode = len(first) > 0 and isinstance(first[0], str)
    for i, s in enumerate(sentences):
        if len(s) == 0:
            raise ValueError(
                f"Every sentence must have at least one token. Received: X[{i}] "
                "with 0 tokens"
            )
        if token_mode:
            if isinstance(s, str) or not all(isinstance(t, str) for t in s):
                raise TypeError(
                    f"Sentence {i} of X mixes tokens that are not strings with "
                    "strings; every token must be a str (or give every "
                    "sentence as a numeric array)."
                )
    return sentences, token_mode


def word_vector_table(word_vectors):
    """Pre-trained word vectors as ``(words, matrix)``, checked.

    ``word_vectors`` is a dict of word to vector, a ``(words, matrix)``
    pair (a sequence of ``n`` words and an ``(n, dim)`` array), or an object
    with ``index_to_key`` and ``vectors`` (gensim's ``KeyedVectors``).

    Examples
    --------
    >>> from skneural.preprocessing import word_vector_table
    >>> words, matrix = word_vector_table({"cat": [1.0, 0.0], "dog": [0.9, 0.1]})
    >>> words, matrix.shape
    (['cat', 'dog'], (2, 2))
    """
    if isinstance(word_vectors, dict):
        words = list(word_vectors)
        rows = [np.asarray(word_vectors[w], dtype=np.float32) for w in words]
        if len({r.shape for r in rows}) > 1:
            raise ValueError(
                "word_vectors must give vectors of one length. Received "
                f"vectors of shapes {sorted({r.shape for r in rows})}."
            )
        matrix = np.stack(rows) if rows else np.zeros((0, 0), np.float32)
    elif isinstance(word_vectors, tuple) and len(word_vectors) == 2:
        words, matrix = list(word_vectors[0]), word_vectors[1]
    elif hasattr(word_vectors, "index_to_key") and hasattr(word_vectors, "vectors"):
        words, matrix = list(word_vectors.index_to_key), word_vectors.vectors
    else:
        raise TypeError(
            "word_vectors must be a dict of word to vector, a (words, matrix) "
            "pair or gensim KeyedVectors. Received: word_vectors of type "
            f"{type(word_vectors).__name__}."
        )
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or len(words) != len(matrix) or not len(words):
        raise ValueError(
            "word_vectors must give one vector of the same length for each of "
            "at least one word. Received: "
            f"{len(words)} words and vectors of shape {matrix.shape}."
        )
    if not all(isinstance(w, str) for w in words):
        raise TypeError("word_vectors' words must be str.")
    if not np.isfinite(matrix).all():
        raise ValueError("word_vectors hold NaN or infinite values.")
    return words, matrix
