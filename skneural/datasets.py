"""Small offline datasets for the demo, examples and tests.

Everything here is built from data shipped inside installed packages
(scikit-learn); nothing is downloaded.
"""

import numpy as np

__all__ = ["digits_split"]


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
