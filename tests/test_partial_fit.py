"""``partial_fit`` of the autoencoders and the tagger: chunk by chunk.

What a first call learns from its data (input statistics, the tagger's
vocabularies and tags) is kept by the later calls; each call trains one
epoch on its chunk.
"""

import numpy as np
import pytest

from skneural import AutoencoderAnomalyDetector, AutoencoderTransformer, BiLSTMTagger
from skneural.datasets import make_lookahead_tagging

AE = dict(hidden_layer_sizes=(16,), n_components=4, batch_size=32, random_state=0)


@pytest.mark.parametrize("cls", [AutoencoderTransformer, AutoencoderAnomalyDetector])
def test_autoencoder_partial_fit_trains_chunk_by_chunk(small_digits, cls):
    X, _ = small_digits
    # shuffled, so that the first chunk is representative (as partial_fit's
    # docstring asks: its statistics are kept)
    X = X[np.random.RandomState(0).permutation(len(X))]
    chunks = np.array_split(X, 4)
    est = cls(**AE)
    for _ in range(3):
        for chunk in chunks:
            est.partial_fit(chunk)
    assert est.n_iter_ == 12 and len(est.loss_curve_) == 12
    # statistics of the first call, kept (not refitted on later chunks)
    np.testing.assert_allclose(est.mean_, chunks[0].mean(axis=0))
    assert np.mean(est.loss_curve_[-4:]) < np.mean(est.loss_curve_[:4])
    assert est.best_epoch_ is None  # no early stopping in partial_fit
    one = cls(**AE).partial_fit(X)
    assert one.n_iter_ == 1
    if cls is AutoencoderTransformer:
        assert est.transform(X).shape == (len(X), 4)
        assert est.score(X) > one.score(X)  # twelve epochs beat one
    else:
        labels = est.predict(X)
        assert set(np.unique(labels)) <= {-1, 1} and (labels == 1).mean() > 0.8


def test_autoencoder_partial_fit_checks_later_chunks(small_digits):
    X, _ = small_digits
    est = AutoencoderTransformer(**AE).partial_fit(X[:100])
    with pytest.raises(ValueError, match="X has 10 features"):
        est.partial_fit(np.ones((5, 10)))
    assert est.n_iter_ == 1  # the failed call changed nothing


def test_tagger_partial_fit_keeps_vocabulary_and_tags():
    X, Y = make_lookahead_tagging(300, random_state=0)
    tags = sorted({t for s in Y for t in s})
    # softmax output: the vocabulary is the point (the CRF's tracing doubles
    # the test's time)
    tagger = BiLSTMTagger(
        units=8, embedding_dim=8, char_filters=4, crf=False, random_state=0
    )
    # the first chunk lacks a tag; classes names every tag up front
    rare = min(tags, key=lambda tag: sum(tag in s for s in Y))
    first = [i for i, s in enumerate(Y) if rare not in s]
    assert len(first) >= 5
    tagger.partial_fit([X[i] for i in first], [Y[i] for i in first], classes=tags)
    assert list(tagger.classes_) == tags
    vocabulary = dict(tagger.vocabulary_)
    after_first = tagger.score(X[200:], Y[200:])
    for _ in range(6):
        tagger.partial_fit(X[:200], Y[:200])  # new words and the missing tag
    assert tagger.vocabulary_ == vocabulary  # fixed at the first call
    assert tagger.n_iter_ == 7
    # calls 2-7 train on the same 200 sentences: their loss falls
    assert tagger.loss_curve_[-1] < tagger.loss_curve_[1]
    # the later words are unknown to it, yet the tags of the next word's
    # position and the known words still teach it
    assert tagger.score(X[200:], Y[200:]) > after_first
    with pytest.raises(ValueError, match="tags not seen in the first fit"):
        tagger.partial_fit([["a", "b"]], [["O", "NEW"]])
