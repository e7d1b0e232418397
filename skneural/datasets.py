"""Small offline datasets for the demo, examples and tests.

Everything here is built from data shipped inside installed packages
(scikit-learn); nothing is downloaded.
"""

import numpy as np

__all__ = ["digits_split", "load_wbc"]


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
