"""Class labels: what the classifiers and the tagger share.

Fitted labels live in ``classes_`` (sorted); the network sees their indices.
:func:`encode` maps labels to indices (and refuses labels unseen in the first
fit), :func:`class_weights` turns ``class_weight`` into one weight per class
index. ``NeuralClassifierBase`` uses them for one label per sample,
``BiLSTMTagger`` for one tag per token. Backend-free (NumPy only).
"""

import numpy as np


def encode(classes, labels, *, what="labels"):
    """Index in ``classes`` of each of ``labels``, as int32.

    ``labels`` is a 1-D array or a sequence of labels (any hashables).
    ``what`` names them in the error ("labels", "tags"): a ``ValueError``
    lists the labels that are not in ``classes``.
    """
    if not isinstance(labels, np.ndarray):
        labels = np.fromiter(labels, dtype=object, count=len(labels))
    try:
        idx = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
        seen = classes[idx] == labels
    except TypeError:  # labels of mixed types have no common order
        index = {c: i for i, c in enumerate(classes.tolist())}
        idx = np.array([index.get(t, -1) for t in labels.tolist()], dtype=np.intp)
        seen = idx >= 0
    if not np.all(seen):
        unseen = sorted(set(labels[~seen].tolist()), key=str)
        raise ValueError(
            f"y contains {what} not seen in the first fit; expected one of "
            f"{classes.tolist()}. Received: unseen {what} {unseen}"
        )
    return idx.astype(np.int32)


def class_weights(class_weight, classes, y):
    """Weight per class index for ``class_weight``; ``None`` if it is None.

    ``y`` holds the encoded labels being fit. ``"balanced"`` is
    scikit-learn's ``n_samples / (n_classes * count)`` over the classes
    present in ``y``; absent classes (possible with ``partial_fit``) weigh 1.
    A dict maps labels to weights (missing labels weigh 1); a label that is
    not in ``classes`` is an error.
    """
    if class_weight is None:
        return None
    if class_weight == "balanced":
        counts = np.bincount(y, minlength=len(classes))
        present = counts > 0
        w = np.ones(len(classes))
        w[present] = counts.sum() / (present.sum() * counts[present])
        return w
    check_class_weight_labels(class_weight, classes)
    return np.array([class_weight.get(c, 1.0) for c in classes.tolist()], dtype=float)


def check_class_weight_labels(class_weight, classes):
    """Raise a ValueError if a ``class_weight`` dict names an unknown label."""
    unknown = set(class_weight) - set(classes.tolist())
    if unknown:
        raise ValueError(
            f"class_weight has labels that are not in the data: "
            f"{sorted(map(str, unknown))}; expected labels among "
            f"{classes.tolist()}. Received: class_weight={class_weight!r}"
        )


def sorted_labels(labels):
    """``labels`` sorted, as an array (str where all are str); mixed types
    get a stable order by type name and text."""
    try:
        ordered = sorted(labels)
    except TypeError:  # mixed types: a stable order all the same
        ordered = sorted(labels, key=lambda t: (type(t).__name__, str(t)))
    out = np.empty(len(ordered), dtype=object)
    out[:] = ordered
    if all(isinstance(t, str) for t in ordered):
        return out.astype(str)
    return out
