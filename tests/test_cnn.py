"""CNNClassifier: input formats, labels, errors, accuracy."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import FAST_CNN

from skneural import CNNClassifier
from skneural.datasets import digits_split

QUICK = {**FAST_CNN, "epochs": 2}


def test_default_cnn_reaches_99_percent_on_digits():
    X_train, X_test, y_train, y_test = digits_split()  # stratified 75/25, seed 0
    clf = CNNClassifier(random_state=0).fit(X_train, y_train)
    assert clf.n_iter_ < clf.epochs  # early stopping did stop it
    # 0.989-0.993 over seeds 0-2 (benchmarks/bench_quality.py --cnn); the
    # first defaults, without augmentation, 0.978-0.984
    assert clf.score(X_test, y_test) >= 0.985


def test_augmentation_shifts_training_images_only(small_digits):
    X, y = small_digits
    est = CNNClassifier(**{**QUICK, "augment": 0.25, "epochs": 1}).fit(X, y)
    layer = est.model_.get_layer("augment")
    images = X[:16].reshape(-1, 8, 8, 1).astype("float32")
    shifted = np.asarray(layer(images, training=True))
    assert not np.allclose(shifted, images)  # training: moved
    # every pixel of a shifted image is a pixel value of the image (edges
    # repeated) blended by interpolation: the range stays that of the image
    assert shifted.min() >= images.min() - 1e-4
    assert shifted.max() <= images.max() + 1e-4
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    # predictions see the images as they are: repeatable
    np.testing.assert_array_equal(est.predict_proba(X), est.predict_proba(X))
    # 0 turns it off; 1-D inputs (signals, tabular rows) are never shifted
    off = CNNClassifier(**{**QUICK, "augment": 0.0}).fit(X, y)
    signals = CNNClassifier(**{**QUICK, "image_shape": None}).fit(X, y)
    for model in (off.model_, signals.model_):
        assert "augment" not in [layer.name for layer in model.layers]


@pytest.mark.parametrize("layout", ["flat+image_shape", "3d", "4d"])
def test_image_layouts_give_the_same_network_input(small_digits, layout):
    X, y = small_digits
    params = {k: v for k, v in QUICK.items() if k != "image_shape"}
    if layout == "flat+image_shape":
        est = CNNClassifier(image_shape=(8, 8), **params).fit(X, y)
    elif layout == "3d":
        est = CNNClassifier(**params).fit(X.reshape(-1, 8, 8), y)
    else:
        est = CNNClassifier(**params).fit(X.reshape(-1, 8, 8, 1), y)
    assert est.input_shape_ == (8, 8, 1)
    assert est.n_features_in_ == 64
    # any of the layouts is accepted at predict time
    p = est.predict_proba(X)
    assert np.allclose(p, est.predict_proba(X.reshape(-1, 8, 8)))
    assert np.allclose(p, est.predict_proba(X.reshape(-1, 8, 8, 1)))


def test_rgb_images():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 255, size=(60, 6, 6, 3))
    y = (X[..., 0].mean(axis=(1, 2)) > X[..., 2].mean(axis=(1, 2))).astype(int)
    est = CNNClassifier(**{**QUICK, "image_shape": None}).fit(X, y)
    assert est.input_shape_ == (6, 6, 3)
    assert est.predict_proba(X).shape == (60, 2)


def test_flat_rows_without_image_shape_are_signals(small_digits):
    X, y = small_digits
    est = CNNClassifier(**{**QUICK, "image_shape": None}).fit(X, y)
    assert est.input_shape_ == (64, 1)
    assert est.model_.get_layer("conv_0").__class__.__name__ == "Conv1D"


@pytest.mark.parametrize("n_features", [1, 2, 3])
def test_few_features_do_not_collapse_pooling(n_features):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, n_features))
    y = (X[:, 0] > 0).astype(int)
    est = CNNClassifier(
        filters=(4, 4, 4), pool_size=2, epochs=2, batch_size=64, random_state=0
    ).fit(X, y)
    assert est.predict_proba(X).shape == (40, 2)


@pytest.mark.parametrize(
    "labels",
    [np.array(["zero", "one", "two", "three"]), np.array([10, -1, 7, 3])],
)
def test_string_and_integer_labels(small_digits, labels):
    X, y = small_digits
    y_named = labels[y]
    est = CNNClassifier(**QUICK).fit(X, y_named)
    assert set(est.classes_) == set(labels)
    assert list(est.classes_) == sorted(labels)
    proba = est.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    # columns follow classes_: argmax of proba is the predicted label
    assert np.array_equal(est.classes_[proba.argmax(axis=1)], est.predict(X))
    assert set(est.predict(X)) <= set(labels)


def test_boolean_labels_binary(small_digits):
    X, y = small_digits
    yb = y >= 2
    # 10 epochs: train accuracy 0.95-0.97 over seeds 0-5 (5 epochs: 0.90-0.96)
    est = CNNClassifier(**{**QUICK, "epochs": 10}).fit(X, yb)
    assert est.classes_.tolist() == [False, True]
    assert est.predict(X).dtype == bool
    assert est.score(X, yb) > 0.9


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_rejected(small_digits, bad):
    X, y = small_digits
    X = X.copy()
    X[3, 5] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        CNNClassifier(**QUICK).fit(X, y)


def test_wrong_number_of_dimensions(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        CNNClassifier(**QUICK).fit(X[:, 0], y)
    with pytest.raises(ValueError, match="Received X with 5 dimensions"):
        CNNClassifier(**QUICK).fit(X.reshape(-1, 2, 2, 4, 4), y)


def test_empty_and_single_class(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="0 sample"):
        CNNClassifier(**QUICK).fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="only one class: np.int64\\(0\\)|one class"):
        CNNClassifier(**QUICK).fit(X[y == 0], y[y == 0])


def test_sparse_rejected(small_digits):
    X, y = small_digits
    with pytest.raises(TypeError, match="Sparse data was passed"):
        CNNClassifier(**QUICK).fit(sp.csr_matrix(X), y)


def test_inconsistent_lengths(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        CNNClassifier(**QUICK).fit(X, y[:-1])


def test_image_shape_must_match_features(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match=r"image_shape=\(7, 7\) needs 49 values.*64"):
        CNNClassifier(**{**QUICK, "image_shape": (7, 7)}).fit(X, y)
    with pytest.raises(
        ValueError, match=r"must match the images.*Received: image_shape="
    ):
        CNNClassifier(**{**QUICK, "image_shape": (4, 16)}).fit(X.reshape(-1, 8, 8), y)
    with pytest.raises(ValueError, match="image_shape must be"):
        CNNClassifier(**{**QUICK, "image_shape": (8, 8, 1, 1)}).fit(X, y)


def test_predict_checks_feature_count_and_image_shape(fitted_cnn, small_digits):
    X, _ = small_digits
    with pytest.raises(ValueError, match="X has 63 features.*expecting 64"):
        fitted_cnn.predict(X[:, :63])
    with pytest.raises(ValueError, match=r"images of shape \(4, 16\).*\(8, 8, 1\)"):
        fitted_cnn.predict(X.reshape(-1, 4, 16))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"dropout": -0.1}, "'dropout' parameter.*range \\[0.0, 1.0\\).*Got -0.1"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter.*Got 1.0"),
        ({"validation_fraction": 0.0}, "'validation_fraction' parameter"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"optimizer": "adamm"}, "'optimizer' parameter"),
        ({"learning_rate": -1.0}, "'learning_rate' parameter"),
        ({"kernel_size": 0}, "'kernel_size' parameter"),
        ({"filters": (8, 0)}, "filters must be a tuple of positive ints.*\\(8, 0\\)"),
        ({"dense_units": (-3,)}, "dense_units must be a tuple of positive ints"),
        ({"class_weight": "auto"}, "'class_weight' parameter"),
    ],
)
def test_invalid_parameters_rejected_before_training(small_digits, params, match):
    X, y = small_digits
    est = CNNClassifier(**{**QUICK, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "model_")


def test_class_weight_with_unknown_label(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="class_weight has labels that are not"):
        CNNClassifier(class_weight={9: 2.0}, **QUICK).fit(X, y)
