"""Saving and loading: pickle, skops and .keras files (docs/user_guide/saving.rst).

The guide's examples run here as a doctest, and the tests below check each
claim it makes, so that a change in skneural, skops or Keras that breaks one
fails here.
"""

import copy
import doctest
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

from skneural import (
    AutoencoderAnomalyDetector,
    AutoencoderTransformer,
    BiLSTMTagger,
    CNNClassifier,
    LSTMSequenceClassifier,
)
from skneural.datasets import make_lookahead_tagging

PAGE = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "saving.rst"

#: What ``skops.io.get_untrusted_types`` lists for a fitted estimator (the
#: table in the guide).
UNTRUSTED = {
    "CNNClassifier": ["skneural._base._SerializedModel", "skneural._cnn.CNNClassifier"],
    "AutoencoderTransformer": [
        "skneural._autoencoder.AutoencoderTransformer",
        "skneural._base._SerializedModel",
    ],
    "AutoencoderAnomalyDetector": [
        "skneural._autoencoder.AutoencoderAnomalyDetector",
        "skneural._base._SerializedModel",
    ],
    "LSTMSequenceClassifier": [
        "skneural._base._SerializedModel",
        "skneural._recurrent.LSTMSequenceClassifier",
    ],
    "BiLSTMTagger": [
        "skneural._base._SerializedModel",
        "skneural._tagger.BiLSTMTagger",
    ],
}


# One xdist worker runs this module: its fitted fixtures (and the guide's
# CRF fit) are made once.
pytestmark = pytest.mark.xdist_group("saving")


# ------------------------------------------------------------ tiny fits


@pytest.fixture(scope="module")
def images():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def sentences():
    return make_lookahead_tagging(60, random_state=0)


@pytest.fixture(scope="module")
def cnn(images):
    return CNNClassifier(image_shape=(8, 8), epochs=2, random_state=0).fit(*images)


@pytest.fixture(scope="module")
def detector(images):
    return AutoencoderAnomalyDetector(epochs=2, random_state=0).fit(images[0])


@pytest.fixture(scope="module")
def transformer(images):
    return AutoencoderTransformer(n_components=4, epochs=2, random_state=0).fit(
        images[0]
    )


@pytest.fixture(scope="module")
def lstm(images):
    X, y = images
    return LSTMSequenceClassifier(units=8, epochs=2, random_state=0).fit(
        X.reshape(-1, 8, 8), y
    )


@pytest.fixture(scope="module")
def tagger(sentences):
    return BiLSTMTagger(units=8, epochs=2, random_state=0).fit(*sentences)


FIXTURE_OF = {
    "CNNClassifier": "cnn",
    "AutoencoderTransformer": "transformer",
    "AutoencoderAnomalyDetector": "detector",
    "LSTMSequenceClassifier": "lstm",
    "BiLSTMTagger": "tagger",
}


def _outputs(est, X):
    """Everything an estimator predicts for ``X``, as arrays."""
    if isinstance(est, CNNClassifier):
        return [est.predict_proba(X), est.predict(X)]
    if isinstance(est, AutoencoderAnomalyDetector):
        return [est.score_samples(X), est.decision_function(X), est.predict(X)]
    raise TypeError(type(est))


def _network_inputs(est, images, sentences):
    """What ``model_`` takes for the test data (the estimator prepares it)."""
    if isinstance(est, BiLSTMTagger):
        X = sentences[0]
    elif isinstance(est, LSTMSequenceClassifier):
        X = images[0].reshape(-1, 8, 8)
    else:
        X = images[0]
    return est._prepare_X(X, reset=False)


def _run(model, inputs):
    """A Keras model's outputs for ``inputs`` (one batch, inference mode)."""
    import keras

    return keras.ops.convert_to_numpy(model(inputs, training=False))


# --------------------------------------------------------------- the page


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    """The guide's examples, run as written (they write files to the cwd).

    Returns the doctest results and the namespace the examples leave, whose
    CRF tagger the tests below reuse (a CRF fit is mostly tracing, ~5 s).
    """
    test = doctest.DocTestParser().get_doctest(
        PAGE.read_text(encoding="utf-8"), {}, PAGE.name, str(PAGE), 0
    )
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("guide"))
        runner.run(test, clear_globs=False)
    return runner.summarize(verbose=False), test.globs


@pytest.fixture(scope="module")
def crf_tagger(guide):
    tagger = guide[1]["tagger"]
    assert tagger.crf
    return tagger, (guide[1]["sentences"], guide[1]["tags"])


def test_guide_examples_run(guide):
    results, _ = guide
    assert results.attempted > 20
    assert results.failed == 0


def test_guide_lists_every_untrusted_type():
    text = PAGE.read_text(encoding="utf-8")
    for name, types in UNTRUSTED.items():
        assert f"``{name}``" in text
        for t in types:
            assert f"``{t}``" in text


# ------------------------------------------------------------------ pickle


def test_pickle_keeps_no_optimizer_state(cnn, images):
    restored = pickle.loads(pickle.dumps(cnn))
    assert cnn.model_.compiled and not restored.model_.compiled
    assert np.array_equal(
        restored.predict_proba(images[0]), cnn.predict_proba(images[0])
    )


def test_tagger_pickled_under_its_old_module_still_loads(
    tagger, sentences, monkeypatch
):
    # BiLSTMTagger moved from skneural._recurrent to skneural._tagger; a
    # pickle made before names the old module.
    monkeypatch.setattr(BiLSTMTagger, "__module__", "skneural._recurrent")
    old = pickle.dumps(tagger)
    monkeypatch.undo()
    assert b"skneural._recurrent" in old and b"skneural._tagger" not in old
    restored = pickle.loads(old)
    assert type(restored) is BiLSTMTagger
    assert restored.predict(sentences[0]) == tagger.predict(sentences[0])


# ------------------------------------------------------------------- skops


@pytest.mark.parametrize("name", sorted(UNTRUSTED))
def test_skops_untrusted_types_are_the_documented_ones(name, request):
    est = request.getfixturevalue(FIXTURE_OF[name])
    assert set(sio.get_untrusted_types(data=sio.dumps(est))) == set(UNTRUSTED[name])


@pytest.mark.parametrize("name", ["CNNClassifier", "AutoencoderAnomalyDetector"])
def test_skops_round_trip_with_documented_trusted_list(name, request, tmp_path, images):
    est = request.getfixturevalue(FIXTURE_OF[name])
    path = tmp_path / "est.skops"
    sio.dump(est, path)
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(path)
    restored = sio.load(path, trusted=UNTRUSTED[name])
    assert type(restored) is type(est)
    assert restored.get_params() == est.get_params()
    for before, after in zip(_outputs(est, images[0]), _outputs(restored, images[0])):
        assert np.array_equal(before, after)


def test_skops_keras_parameters(images):
    import keras

    with_callback = CNNClassifier(callbacks=[keras.callbacks.TerminateOnNaN()])
    assert set(sio.get_untrusted_types(data=sio.dumps(with_callback))) == {
        "keras.src.callbacks.terminate_on_nan.TerminateOnNaN",
        "skneural._cnn.CNNClassifier",
    }
    with pytest.raises(TypeError):
        sio.dumps(CNNClassifier(optimizer=keras.optimizers.SGD(0.01)))


def test_loading_refuses_python_lambdas_in_the_network(cnn, tmp_path):
    """skops (with the documented trusted list) and pickle rebuild the
    network in Keras's safe mode; so does load_model by default."""
    import keras

    forged = copy.copy(cnn)
    forged.model_ = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Lambda(lambda x: x * 2)]
    )
    data = sio.dumps(forged)
    with pytest.raises(ValueError, match="Lambda"):
        sio.loads(data, trusted=UNTRUSTED["CNNClassifier"])
    with pytest.raises(ValueError, match="Lambda"):
        pickle.loads(pickle.dumps(forged))
    forged.model_.save(tmp_path / "forged.keras")
    with pytest.raises(ValueError, match="Lambda"):
        keras.models.load_model(tmp_path / "forged.keras")


# ------------------------------------------------------------ .keras files


@pytest.mark.parametrize("name", sorted(UNTRUSTED))
def test_keras_file_loads_in_safe_mode(name, request, tmp_path, images, sentences):
    """Every network but a CRF tagger's loads compiled (BiLSTMTagger here has
    the default crf=False)."""
    import keras

    est = request.getfixturevalue(FIXTURE_OF[name])
    path = tmp_path / "model.keras"
    est.model_.save(path)
    net = keras.models.load_model(path, safe_mode=True)
    assert isinstance(net, keras.Model) and net.compiled
    # the optimizer's state comes back too
    assert int(net.optimizer.iterations) == int(est.model_.optimizer.iterations) > 0
    inputs = _network_inputs(est, images, sentences)
    assert np.array_equal(_run(net, inputs), _run(est.model_, inputs))


def test_crf_tagger_keras_file_loads_compiled_in_safe_mode(
    crf_tagger, tmp_path, images
):
    import keras

    from skneural.architectures.crf import CRFTaggerModel

    tagger, sentences = crf_tagger
    path = tmp_path / "tagger.keras"
    tagger.model_.save(path)
    net = keras.models.load_model(path, safe_mode=True)
    assert isinstance(net, CRFTaggerModel) and net.compiled
    assert int(net.optimizer.iterations) == int(tagger.model_.optimizer.iterations)
    inputs = _network_inputs(tagger, images, sentences)
    scores = _run(net, inputs)
    assert np.array_equal(scores, _run(tagger.model_, inputs))
    # the loss is the loaded network's own CRF likelihood: equal to the
    # estimator's, and training on moves it
    targets = tagger._prepare_y(sentences[1], inputs, reset=False)
    before = net.evaluate(inputs, targets, verbose=0, return_dict=True)["loss"]
    want = tagger.model_.evaluate(inputs, targets, verbose=0, return_dict=True)
    assert before == pytest.approx(want["loss"], rel=1e-6) and before > 0
    net.fit(inputs, targets, epochs=3, verbose=0)
    after = net.evaluate(inputs, targets, verbose=0, return_dict=True)["loss"]
    assert after < before


def test_crf_tagger_pickled_with_a_plain_functional_network_trains_on(crf_tagger):
    # earlier versions built a CRF tagger's network as a plain functional
    # model compiled with a CRFLoss; such a pickle keeps training
    import keras

    tagger, (sentences, tags) = crf_tagger
    old = pickle.loads(pickle.dumps(tagger))  # its own copy of the weights
    old.model_ = keras.Model(old.model_.inputs, old.model_.outputs, name="tagger")
    assert type(old.model_).__name__ == "Functional"
    old.set_params(warm_start=True, epochs=2, early_stopping=False)
    n_iter = old.n_iter_
    old.fit(sentences, tags)
    assert old.n_iter_ == n_iter + 2
    assert np.isfinite(old.loss_curve_[-2:]).all()
    assert old.model_.loss.__class__.__name__ == "CRFLoss"


# ------------------------------------------------------ another process


@pytest.mark.slow  # a new interpreter imports TensorFlow and skops: ~15 s
def test_files_load_in_a_fresh_process(cnn, tagger, tmp_path, images, sentences):
    """A tagger's .keras file loads in a new process once ``import
    skneural.architectures`` has registered skneural's layers (and not
    before); pickle and skops files give the same predictions there."""
    with open(tmp_path / "cnn.pkl", "wb") as f:
        pickle.dump(cnn, f)
    sio.dump(cnn, tmp_path / "cnn.skops")
    tagger.model_.save(tmp_path / "tagger.keras")
    np.save(tmp_path / "X.npy", images[0])
    code = textwrap.dedent(
        f"""
        import keras
        try:
            keras.models.load_model("tagger.keras")
        except TypeError:
            print("refused")
        import skneural.architectures
        net = keras.models.load_model("tagger.keras")
        print(type(net).__name__, net.compiled)

        import pickle
        import numpy as np
        import skops.io as sio
        X = np.load("X.npy")
        with open("cnn.pkl", "rb") as f:
            np.save("pickle.npy", pickle.load(f).predict_proba(X))
        from_skops = sio.load("cnn.skops", trusted={UNTRUSTED["CNNClassifier"]!r})
        np.save("skops.npy", from_skops.predict_proba(X))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["refused", "Functional", "True"]
    expected = cnn.predict_proba(images[0])
    assert np.array_equal(np.load(tmp_path / "pickle.npy"), expected)
    assert np.array_equal(np.load(tmp_path / "skops.npy"), expected)
