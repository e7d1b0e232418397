"""AutoencoderTransformer and AutoencoderAnomalyDetector."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from skneural import AutoencoderAnomalyDetector, AutoencoderTransformer
from skneural.datasets import load_wbc

FAST = dict(hidden_layer_sizes=(32,), epochs=10, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def digits01(digits):
    X, y = digits
    return X / 16.0, y


@pytest.fixture(scope="module")
def fitted_ae(digits01):
    X, _ = digits01
    return AutoencoderTransformer(n_components=4, **FAST).fit(X[:500])


@pytest.mark.parametrize("k", [10, 30])
def test_beats_pca_reconstruction_on_digits(digits01, k):
    X, y = digits01
    X_train, X_test = train_test_split(X, test_size=0.25, stratify=y, random_state=0)[
        :2
    ]
    pca = PCA(k).fit(X_train)
    pca_err = ((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1)
    ae = AutoencoderTransformer(n_components=k, random_state=0).fit(X_train)
    ae_err = ((ae.inverse_transform(ae.transform(X_test)) - X_test) ** 2).sum(1)
    # Mean per-image sum of squared errors, pixels in [0, 1]. Random splits
    # 0-2: 0.49x PCA's at k=10, 0.66x at k=30 (per-feature scaling without
    # the PCA start, the old default: 0.65-0.74x and 2.0-2.4x)
    assert ae_err.mean() <= 0.8 * pca_err.mean()
    # score is minus the mean squared error per value, in original units
    assert ae.score(X_test) == pytest.approx(-ae_err.mean() / 64, rel=1e-4)


def test_transform_shapes_and_inverse_units(fitted_ae, digits01):
    X, _ = digits01
    codes = fitted_ae.transform(X[:7])
    assert codes.shape == (7, 4) and codes.dtype == np.float64
    recon = fitted_ae.inverse_transform(codes)
    assert recon.shape == (7, 64)
    # original units: pixel range [0, 1], not standardised values
    assert -0.5 < recon.min() and recon.max() < 1.5
    assert np.abs(recon - X[:7]).mean() < 0.2
    with pytest.raises(ValueError, match="Received: X with 3 columns"):
        fitted_ae.inverse_transform(codes[:, :3])


def test_feature_names_out_and_pandas_output(digits01):
    X, _ = digits01
    df = pd.DataFrame(X[:300], columns=[f"p{i}" for i in range(64)])
    ae = AutoencoderTransformer(n_components=3, **FAST).set_output(transform="pandas")
    out = ae.fit_transform(df)
    expected = ["autoencodertransformer0", "autoencodertransformer1",
                "autoencodertransformer2"]  # fmt: skip
    assert list(ae.get_feature_names_out()) == expected
    assert isinstance(out, pd.DataFrame) and list(out.columns) == expected
    assert list(ae.feature_names_in_) == list(df.columns)


def test_pipeline_with_logistic_regression(digits01):
    X, y = digits01
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    pipe = Pipeline(
        [
            ("ae", AutoencoderTransformer(n_components=16, **{**FAST, "epochs": 30})),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    ).fit(X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.85  # chance is 0.1


def test_grid_search_over_n_components_prefers_more():
    # 20 features driven by 8 factors: 8 components reconstruct held-out rows
    # far better than 1 (mean squared error 0.46-0.81 against 5.7-6.1 over
    # seeds 0-4). On 400 digits the two were within the seed noise.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 8)) @ rng.normal(size=(8, 20))
    X += 0.1 * rng.normal(size=X.shape)
    search = GridSearchCV(
        AutoencoderTransformer(**{**FAST, "epochs": 80, "batch_size": 32}),
        {"n_components": [1, 8]},
        cv=2,
    ).fit(X)
    assert search.best_params_ == {"n_components": 8}


def test_denoising_noise_options(digits01):
    X, _ = digits01
    for noise_type, layer in [
        ("gaussian", "gaussian_noise"),
        ("mask", "masking_noise"),
    ]:
        ae = AutoencoderTransformer(
            n_components=4, noise=0.3, noise_type=noise_type, **FAST
        ).fit(X[:300])
        encoder = ae.model_.get_layer("encoder")
        assert layer in [lyr.name for lyr in encoder.layers]
        # noise is for training only: transform is deterministic
        assert np.array_equal(ae.transform(X[:20]), ae.transform(X[:20]))
        restored = pickle.loads(pickle.dumps(ae))
        assert np.allclose(restored.transform(X[:20]), ae.transform(X[:20]))
    # Gaussian noise may exceed one standard deviation of the standardised
    # inputs (Keras's GaussianNoise refused it); the fit learns through it
    strong = AutoencoderTransformer(n_components=4, noise=1.5, **FAST).fit(X[:300])
    assert np.isfinite(strong.loss_curve_).all()
    assert strong.loss_curve_[-1] < strong.loss_curve_[0]


def test_masking_noise_layer_masks_only_in_training():
    import keras

    from skneural.architectures import MaskingNoise

    layer = MaskingNoise(0.5, seed=0)
    x = np.ones((200, 10), dtype="float32")
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    assert set(np.unique(out)) == {0.0, 1.0}  # masked, not rescaled
    assert 0.4 < (out == 0).mean() < 0.6
    assert np.array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    with pytest.raises(ValueError, match="Received: rate=1.5"):
        MaskingNoise(1.5)


def test_deep_autoencoder_layers(digits01):
    X, _ = digits01
    ae = AutoencoderTransformer(
        n_components=2, **{**FAST, "hidden_layer_sizes": (32, 16, 8), "epochs": 1}
    ).fit(X[:100])
    dec = [lyr.name for lyr in ae.model_.get_layer("decoder").layers]
    assert dec[1:4] == ["decoder_0", "decoder_1", "decoder_2"]
    units = [ae.model_.get_layer("decoder").get_layer(n).units for n in dec[1:4]]
    assert units == [8, 16, 32]  # mirrored


# ------------------------------------------------------------ anomaly detector


def test_wbc_roc_auc_default_settings():
    X, y = load_wbc()
    assert X.shape == (378, 30) and y.sum() == 21
    det = AutoencoderAnomalyDetector(random_state=0).fit(X)
    auc = roc_auc_score(y, -det.score_samples(X))
    iforest = roc_auc_score(y, -IsolationForest(random_state=0).fit(X).score_samples(X))
    assert auc >= 0.93, (auc, iforest)


def test_outlier_api_consistency():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 8))
    det = AutoencoderAnomalyDetector(**FAST).fit(X)
    scores = det.score_samples(X)
    assert np.allclose(det.decision_function(X), scores - det.offset_)
    pred = det.predict(X)
    assert set(np.unique(pred)) <= {-1, 1}
    assert np.array_equal(pred == -1, det.decision_function(X) < 0)
    assert np.array_equal(det.fit_predict(X), pred)


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.25])
def test_float_contamination_flags_that_share(contamination):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(400, 6))
    det = AutoencoderAnomalyDetector(contamination=contamination, **FAST).fit(X)
    share = np.mean(det.predict(X) == -1)
    assert share == pytest.approx(contamination, abs=1 / len(X))


def test_auto_contamination_uses_tukey_fence_and_flags_planted_outliers():
    rng = np.random.RandomState(0)
    # inliers near a 2-D plane in 10-D; 10 rows off the plane
    basis = rng.normal(size=(2, 10))
    X = rng.normal(size=(300, 2)) @ basis + 0.05 * rng.normal(size=(300, 10))
    X[:10] += rng.normal(scale=3.0, size=(10, 10))
    det = AutoencoderAnomalyDetector(n_components=2, **{**FAST, "epochs": 60}).fit(X)
    errors = -det.score_samples(X)
    q1, q3 = np.percentile(errors, [25, 75])
    assert det.offset_ == pytest.approx(-(q3 + 1.5 * (q3 - q1)))
    flagged = det.predict(X) == -1
    assert flagged[:10].all()
    assert flagged[10:].mean() < 0.1


def test_reconstruction_score_type():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    det = AutoencoderAnomalyDetector(score_type="reconstruction", **FAST).fit(X)
    Xs = (X - det.mean_) / det.scale_
    recon = det.model_.predict(X, verbose=0)
    assert np.allclose(det.score_samples(X), -((recon - Xs) ** 2).mean(1), atol=1e-5)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("Est", [AutoencoderTransformer, AutoencoderAnomalyDetector])
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 0}, "'n_components' parameter"),
        (
            {"n_components": 5},
            "features, n_features=5.*Received: n_components=5",
        ),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes must be a tuple"),
        ({"noise": -0.1}, "'noise' parameter"),
        ({"noise_type": "salt"}, "'noise_type' parameter"),
        ({"noise": 1.0, "noise_type": "mask"}, "below 1.*Received: noise=1.0"),
    ],
)
def test_invalid_parameters(Est, params, match):
    X = np.random.RandomState(0).normal(size=(20, 5))
    est = Est(**{**FAST, "n_components": 2, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X)
    assert not hasattr(est, "model_")


@pytest.mark.parametrize("contamination", [0.0, 0.6, "high"])
def test_invalid_contamination(contamination):
    X = np.random.RandomState(0).normal(size=(20, 5))
    with pytest.raises(ValueError, match="'contamination' parameter"):
        AutoencoderAnomalyDetector(contamination=contamination, **FAST).fit(X)


@pytest.mark.parametrize("Est", [AutoencoderTransformer, AutoencoderAnomalyDetector])
def test_bad_data(Est):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5))
    est = Est(**{**FAST, "n_components": 2})
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(bad)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        est.fit(bad)
    with pytest.raises(ValueError, match="1 sample"):
        est.fit(X[:1])
    est.fit(X)
    method = est.transform if Est is AutoencoderTransformer else est.predict
    with pytest.raises(ValueError, match="X has 4 features.*expecting 5"):
        method(X[:, :4])
