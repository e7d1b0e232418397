"""Rows, batches and epoch means: array bookkeeping shared by the fit loop,
the trainers and prediction.

Backend-free (NumPy only). Prepared inputs are an array or a tuple, list or
dict of arrays sharing the first (row) axis; ``None`` stands for a missing
array (no sample weights). Sequences are padded on axis 1 (time), their mask
last in the tuple.
"""

import numpy as np

#: Rows per compiled inference (and evaluation) call: large inputs are run in
#: chunks of this size, which bounds memory and reuses one traced function.
PREDICT_CHUNK = 2048


def pack(x, y, sample_weight):
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def accumulate(totals, logs, n):
    """Add batch-size-weighted log values (epoch means, as Keras reports)."""
    for key, value in logs.items():
        totals[key] = totals.get(key, 0.0) + float(value) * n


def n_rows(x):
    while isinstance(x, (list, tuple)):
        x = x[0]
    if isinstance(x, dict):
        return n_rows(next(iter(x.values())))
    return x.shape[0]


#: Fixed odd multipliers of the row hash (one per 8 bytes of a row).
_HASH_MULTIPLIERS = np.random.RandomState(0).randint(
    1, 2**62, size=4096, dtype=np.int64
).astype(np.uint64) * np.uint64(2) + np.uint64(1)


def distinct_rows(X):
    """Indices of the distinct rows of ``X`` in a canonical order, and the
    inverse.

    ``X`` is an array or a tuple/list/dict of arrays sharing the first axis;
    a row is the bytes of all of them. ``take(take(X, first), inverse)``
    gives ``X`` back. The order is that of a 64-bit hash of each row's bytes
    (ten times cheaper than sorting the bytes themselves: 20,000 rows of 784
    float32 values took 276 ms that way); rows with equal hashes are merged
    only if their bytes are equal.
    """
    arrays = list(X.values()) if isinstance(X, dict) else X
    if not isinstance(arrays, (list, tuple)):
        arrays = [arrays]
    n = n_rows(X)
    parts = [np.ascontiguousarray(a).reshape(n, -1).view(np.uint8) for a in arrays]
    rows = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    pad = -rows.shape[1] % 8
    if pad:
        rows = np.concatenate([rows, np.zeros((n, pad), np.uint8)], axis=1)
    words = np.ascontiguousarray(rows).view(np.uint64)
    multipliers = np.resize(_HASH_MULTIPLIERS, words.shape[1])
    with np.errstate(over="ignore"):
        hashes = (words * multipliers).sum(axis=1, dtype=np.uint64)
    order = np.argsort(hashes, kind="stable")
    new = np.ones(n, dtype=bool)
    same = np.flatnonzero(hashes[order[1:]] == hashes[order[:-1]])
    new[same + 1] = np.any(words[order[same + 1]] != words[order[same]], axis=1)
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


class LazyRows:
    """Rows made from another array's rows when indexed: ``fn(X[idx])``.

    An autoencoder's targets are its standardised inputs. Made all at once
    they are a second copy of ``X`` (and float64 temporaries twice its
    size on the way); made per batch, a memory-mapped ``X`` stays on disk.
    Supports what the training loop uses: ``shape``, ``dtype``, ``ndim``,
    ``len`` and row indexing.
    """

    def __init__(self, X, fn, dtype=np.float32):
        self.X = X
        self.fn = fn
        self.shape = X.shape
        self.ndim = X.ndim
        self.dtype = np.dtype(dtype)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, idx):
        return self.fn(self.X[idx])


#: Values (not rows) per chunk when statistics are computed chunk by chunk:
#: 8 MB of float64 temporaries.
STAT_CHUNK_VALUES = 2**20


def row_chunks(n, values_per_row):
    """Slices of ``n`` rows of ``values_per_row`` values each, in chunks of
    about ``STAT_CHUNK_VALUES`` values."""
    step = max(1, STAT_CHUNK_VALUES // max(1, values_per_row))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def merge_moments(a, b):
    """Count, mean and sum of squared deviations of two parts, merged
    (Chan, Golub and LeVeque's pairwise update)."""
    (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) = a, b
    total = n_a + n_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / total)
    m2 = m2_a + m2_b + delta**2 * (n_a * n_b / total)
    return total, mean, m2


def take(X, idx):
    """Rows ``idx`` of an array, or of each array in a tuple/list/dict."""
    if X is None:
        return None
    if isinstance(X, (list, tuple)):
        return type(X)(take(a, idx) for a in X)
    if isinstance(X, dict):
        return {k: take(v, idx) for k, v in X.items()}
    return X[idx]


#: Batches of different lengths mixed into one window before it is sorted by
#: length and cut into batches ("bucketing" that keeps the batches random).
BUCKET_WINDOW = 16


def batches(rng, n, batch_size, lengths=None):
    """Row indices of each mini-batch of one epoch, in training order.

    ``ceil(n / batch_size)`` batches, as even in size as they can be: 100
    rows at ``batch_size=32`` are four batches of 25, not 32, 32, 32 and a
    remnant of 4. A remnant takes a full step on the gradient of a few rows,
    and batch normalisation normalises it by their statistics; on the UCR
    ACSF1 set (100 series) the remnant kept the network from fitting its
    training data (training accuracy 0.91, loss 0.38 after 200 epochs;
    even batches: 0.98 and 0.12).

    Fixed-size rows: a shuffled permutation cut into batches. Sequences of
    different lengths: the permutation is cut into windows of
    ``BUCKET_WINDOW`` batches, each window sorted by length and cut into
    batches, and the batches shuffled: each batch holds sequences of similar
    length, so one long sequence no longer pads every batch to its length.
    """
    order = rng.permutation(n)
    n_batches = -(-n // batch_size)
    if lengths is not None and lengths.min() < lengths.max():
        window = batch_size * BUCKET_WINDOW
        for start in range(0, n, window):
            part = order[start : start + window]
            order[start : start + window] = part[
                np.argsort(lengths[part], kind="stable")
            ]
        batches = np.array_split(order, n_batches)
        return [batches[i] for i in rng.permutation(len(batches))]
    return np.array_split(order, n_batches)


def batch_rows(idx, lengths, *arrays, round_length=True):
    """Rows ``idx`` of each of ``arrays``; sequences trimmed to the batch.

    The time axis (axis 1 of every array with one) is cut to the batch's
    longest sequence. With ``round_length`` that length is rounded up to a
    power of two: a handful of distinct shapes per fit, so backends that
    compile per shape (JAX) compile a few times, not once per batch.
    Backends that trace once for any length (TensorFlow) or run eagerly
    (torch) take the exact length: a recurrent layer's cost grows with
    every padded step.
    """
    rows = [take(a, idx) for a in arrays]
    if lengths is None:
        return rows
    keep = int(lengths[idx].max())
    if round_length:
        keep = 1 << max(keep - 1, 0).bit_length()
    return [trim_time(a, keep) for a in rows]


def trim_time(X, length):
    if X is None:
        return None
    if isinstance(X, (list, tuple)):
        return type(X)(trim_time(a, length) for a in X)
    return X[:, :length] if X.ndim >= 2 else X
