"""Small offline datasets for the demo, examples and tests.

Everything here is built from data shipped inside installed packages
(scikit-learn); nothing is downloaded.
"""

import numpy as np

__all__ = [
    "digits_split",
    "load_hironsan_ner",
    "load_wbc",
    "make_long_dependency",
    "make_lookahead_tagging",
]


def digits_split(test_size=0.25, random_state=0):
    """sklearn's 8x8 digits as images, split stratified.

    Parameters
    ----------
    test_size : float, default=0.25
        Share of the 1,797 images in the test set.
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    X_train, X_test : ndarray of shape (n, 8, 8)
        Images with pixel values 0-16 (unscaled).
    y_train, y_test : ndarray of shape (n,)
        Digit labels 0-9.

    Examples
    --------
    >>> from skneural.datasets import digits_split
    >>> X_train, X_test, y_train, y_test = digits_split()
    >>> X_train.shape, X_test.shape
    ((1347, 8, 8), (450, 8, 8))
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32)
    return train_test_split(
        images,
        digits.target,
        test_size=test_size,
        stratify=digits.target,
        random_state=random_state,
    )


#: Malignant rows of ``load_breast_cancer()`` in the ODDS "wbc" set. Row 41
#: appears twice, as in the ODDS set: 357 benign + 21 malignant = 378 rows.
WBC_MALIGNANT_ROWS = (
    0, 9, 22, 26, 28, 30, 41, 41, 91, 105, 108, 162, 182, 214, 236, 239, 369,
    414, 468, 501, 536,
)  # fmt: skip


def load_wbc():
    """The ODDS "wbc" anomaly-detection set, built from sklearn's copy.

    All benign rows of ``load_breast_cancer()`` plus the malignant rows the
    ODDS set keeps, min-max scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (n_samples, 30)
    y : ndarray of shape (n_samples,)
        1 for the outliers (malignant), 0 for inliers.

    Examples
    --------
    >>> from skneural.datasets import load_wbc
    >>> X, y = load_wbc()
    >>> X.shape, int(y.sum())
    ((378, 30), 21)
    """
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    benign = np.flatnonzero(data.target == 1)
    rows = np.concatenate([benign, np.array(WBC_MALIGNANT_ROWS)])
    X = data.data[rows]
    X = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    y = np.concatenate(
        [np.zeros(len(benign), int), np.ones(len(WBC_MALIGNANT_ROWS), int)]
    )
    return X, y


def make_long_dependency(
    n_samples=400, length=60, n_informative=3, noise=1.0, random_state=None
):
    """Sequences whose class is decided by the first steps only.

    Each sequence starts with ``n_informative`` steps carrying the class
    (+1 or -1), followed by ``length - n_informative`` steps of Gaussian
    noise. A recurrent network must carry the first steps' information
    through the whole sequence: the vanishing-gradient test.

    Returns
    -------
    X : ndarray of shape (n_samples, length, 1)
    y : ndarray of shape (n_samples,)
        0 or 1.

    Examples
    --------
    >>> from skneural.datasets import make_long_dependency
    >>> X, y = make_long_dependency(10, length=20, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((10, 20, 1), [0, 1])
    """
    rng = np.random.RandomState(random_state)
    y = rng.randint(0, 2, size=n_samples)
    X = rng.normal(scale=noise, size=(n_samples, length, 1)).astype(np.float32)
    X[:, :n_informative, 0] = (2.0 * y - 1.0)[:, None]
    return X, y


def make_lookahead_tagging(n_sentences=400, n_words=20, random_state=None):
    """Sentences whose tags depend on the *next* word.

    Words are ``w0 .. w{n_words-1}``; a token is tagged "A" when the next
    word's number is even, "B" when odd, and the last token "E". A
    left-to-right tagger cannot see the next word; a bidirectional one can.

    Returns
    -------
    X : list of list of str
    y : list of list of str

    Examples
    --------
    >>> from skneural.datasets import make_lookahead_tagging
    >>> X, y = make_lookahead_tagging(2, random_state=0)
    >>> [len(s) for s in X] == [len(t) for t in y]
    True
    """
    rng = np.random.RandomState(random_state)
    words = [f"w{i}" for i in range(n_words)]
    X, y = [], []
    for _ in range(n_sentences):
        sentence = [str(w) for w in rng.choice(words, rng.randint(4, 10))]
        tags = [
            "A" if int(sentence[i + 1][1:]) % 2 == 0 else "B"
            for i in range(len(sentence) - 1)
        ] + ["E"]
        X.append(sentence)
        y.append(tags)
    return X, y


def load_hironsan_ner(split="train"):
    """The hironsancorpus Japanese news NER corpus (IOB2), as tokens/tags.

    Needs the ``hironsancorpus`` package (the ``examples`` extra). Its reader
    drops a leading full-width space (U+3000): those rows come back one
    column short, starting with the char type ``ZSPACE``; the token is put
    back here.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        450 training or 50 test sentences.

    Returns
    -------
    X : list of list of str
        Surface tokens.
    y : list of list of str
        IOB2 tags.
    """
    try:
        from hironsan.corpus import hiron2016
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ImportError(
            "load_hironsan_ner needs the 'hironsancorpus' package: "
            "pip install 'skneural[examples]'"
        ) from exc
    X, y = [], []
    for sentence in hiron2016.iob_sents(split):
        tokens = ["\u3000" if row[0] == "ZSPACE" else row[0] for row in sentence]
        X.append(tokens)
        y.append([row[-1] for row in sentence])
    return X, y
