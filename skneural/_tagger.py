"""BiLSTMTagger: one tag per token (named entities, parts of speech, ...)."""

import operator
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _docs, _labels, _streaming
from ._base import NeuralEstimatorBase, check_positive_ints
from ._shells import table_rows
from .preprocessing import (
    as_sequence_list,
    build_vocabulary,
    check_sentences,
    encode_tokens,
    pad_sequences,
    token_shape,
    word_vector_table,
)

#: The step ``learning_rate=None`` means with the default Adam.
ADAM_STEP = 0.004

_TRAINING_PARAMS = _docs.training_params(
    "sentences",
    class_weight="tag",
    batch_size="64",
    adam_step=ADAM_STEP,
    learning_rate_note="""
        with 64 sentences a batch, fits on the hironsan NER corpus took
        about 25 epochs instead of 40-50, as accurate
        (``benchmarks/bench_tagger.py``).""",
    n_iter_no_change="5",
    n_iter_no_change_note="""
        5 here (10 elsewhere): on the hironsan NER corpus no fit found a
        better epoch after 5 without one; the other 5 were wasted.""",
)
_TRAINING_ATTRIBUTES = _docs.training_attributes(
    "Token accuracy on the held-out sentences",
    "``loss``, ``accuracy``, ``val_loss``, ...",
)


class BiLSTMTagger(NeuralEstimatorBase):
    __doc__ = f"""Per-token sequence tagger: word and character features, BiLSTM, CRF.

    Reads each sentence in both directions, so a token's tag can depend on
    the words before *and* after it. Token input gets a word vocabulary
    learned in ``fit`` (rare words map to an out-of-vocabulary index) plus a
    small character CNN per token, so unseen words are still tagged by their
    spelling. Numeric input (per-step tagging of signals) is standardised
    inside the network. The output is a linear-chain CRF (learned
    transition scores, trained by the forward algorithm, decoded by
    Viterbi), or with ``crf=False`` a per-token softmax.

    Parameters
    ----------
    units : int or tuple of int, default=32
        Units of the (bidirectional) LSTM layer; a tuple stacks layers.
    bidirectional : bool, default=True
        Read sentences both ways. ``False`` gives a left-to-right tagger.
    crf : bool, default=True
        A linear-chain CRF output layer; ``False``: an independent softmax
        per token (a fifth faster; on the hironsan NER corpus entity F1
        0.57 against the CRF's 0.62, means over seeds 0-4).
    embedding_dim : int, default=64
        Size of the word embeddings (token input).
    char_features : bool, default=True
        Add a character CNN per token (token input).
    char_embedding_dim : int, default=24
        Size of the character embeddings.
    char_filters : int, default=32
        Filters of the character CNN.
    shape_features : bool, default=True
        Add each token's shape (token input): its characters' classes
        (upper and lower case, digits, punctuation, and scripts such as
        kana and CJK ideographs), repeats collapsed, as
        :func:`skneural.preprocessing.token_shape` gives it: ``"Aa"`` for
        ``"Paris"``, ``"0.0%"`` for ``"3.5%"``.
    max_word_length : int, default=20
        Characters of each token the character CNN reads.
    min_frequency : int, default=1
        Words seen fewer times in ``fit`` map to the out-of-vocabulary index.
    lowercase : bool, default=False
        Lowercase words for the word vocabulary (characters keep case).
    word_vectors : dict, tuple or KeyedVectors, default=None
        Pre-trained word vectors (token input): a dict of word to vector, a
        ``(words, matrix)`` pair, or gensim ``KeyedVectors``. Each token
        also gets its vector (its own, else its lowercase form's; zeros for
        words without one), held fixed while the rest trains. They help
        most with words never seen in ``fit`` that the vectors know: train
        them on unlabeled text of the same kind. The network holds the
        whole table, so a fitted tagger's pickle grows by its size.
    dropout : float, default=0.25
        Dropout on the token features and after each LSTM layer.
{_TRAINING_PARAMS}

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    classes_ : ndarray
        The tags, sorted.
    vocabulary_ : dict of str to int
        Word -> index (token input); 0 is padding, 1 out-of-vocabulary.
    char_vocabulary_ : dict of str to int
        Character -> index (token input with ``char_features``).
    shape_vocabulary_ : dict of str to int
        Token shape -> index (token input with ``shape_features``).
    vector_vocabulary_ : dict of str to int
        Word -> row of the pre-trained vectors plus 2 (with
        ``word_vectors``).
    token_input_ : bool
        Whether ``fit`` saw token sentences (True) or numeric sequences;
        later calls must give the same kind.
    n_features_in_ : int
        Features per step (numeric input only).
    mean_, scale_ : ndarray of shape (n_features,)
        Per-feature mean and standard deviation over the real steps of the
        training sequences (numeric input only); the network sees
        ``(x - mean_) / scale_``.
    tag_weights_ : ndarray of shape (n_tags,) or None
        Loss weight of each tag, from ``class_weight`` (``None`` without
        it).
{_TRAINING_ATTRIBUTES}

    See Also
    --------
    skneural.metrics.entity_f1_score : Entity-level F1 for IOB/BIOES tags.

    Examples
    --------
    >>> from skneural import BiLSTMTagger
    >>> X = [["the", "cat", "sat"], ["a", "dog", "ran", "off"]] * 10
    >>> y = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB", "ADP"]] * 10
    >>> tagger = BiLSTMTagger(units=8, epochs=2, random_state=0).fit(X, y)
    >>> [len(tags) for tags in tagger.predict([["the", "dog"], ["a"]])]
    [2, 1]
    """

    _sequence_input = True

    _adam_learning_rate = ADAM_STEP

    _parameter_constraints = {
        **NeuralEstimatorBase._parameter_constraints,
        "units": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "bidirectional": ["boolean"],
        "crf": ["boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "char_features": ["boolean"],
        "char_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "char_filters": [Interval(Integral, 1, None, closed="left")],
        "shape_features": ["boolean"],
        "max_word_length": [Interval(Integral, 1, None, closed="left")],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "lowercase": ["boolean"],
        "word_vectors": [dict, tuple, HasMethods(["get_vector"]), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        units=32,
        bidirectional=True,
        crf=True,
        embedding_dim=64,
        char_features=True,
        char_embedding_dim=24,
        char_filters=32,
        shape_features=True,
        max_word_length=20,
        min_frequency=1,
        lowercase=False,
        word_vectors=None,
        dropout=0.25,
        epochs=200,
        batch_size=64,
        optimizer="adam",
        learning_rate=None,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        callbacks=None,
        class_weight=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        distribution=None,
    ):
        self.units = units
        self.bidirectional = bidirectional
        self.crf = crf
        self.embedding_dim = embedding_dim
        self.char_features = char_features
        self.char_embedding_dim = char_embedding_dim
        self.char_filters = char_filters
        self.shape_features = shape_features
        self.max_word_length = max_word_length
        self.min_frequency = min_frequency
        self.lowercase = lowercase
        self.word_vectors = word_vectors
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.distribution = distribution

    # ---------------------------------------------------------------- data

    def fit(self, X, y=None, sample_weight=None, validation_data=None):
        """Learn to tag: ``X`` sentences, ``y`` their tag sequences.

        Parameters
        ----------
        X : list of sequences or keras.utils.PyDataset
            Each a list of tokens (str) or a ``(t_i, n_features)`` array; or
            a dataset of ``(sentences, tag_lists)`` batches, read batch by
            batch (then ``y`` is None; see :ref:`datasets`).
        y : list of sequences, default=None
            Tags (any hashable labels), one per token.
        sample_weight : array-like of shape (n_sentences,), default=None
            Per-sentence weights.
        validation_data : tuple or keras.utils.PyDataset, default=None
            ``(X_val, y_val)`` (sentences and their tags) or ``(X_val,
            y_val, sample_weight_val)``, or a dataset of such batches:
            held-out data of your own, scored
            after every epoch. Early
            stopping then watches it instead of a split of ``X``
            (``validation_fraction`` is ignored and every row of ``X``
            trains); with ``early_stopping=False`` its loss is only
            recorded. See :ref:`validation-data`.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, validation_data=validation_data)

    def partial_fit(self, X, y=None, classes=None, sample_weight=None):
        """Train one epoch on ``X, y`` (no early stopping), chunk by chunk.

        The first call fixes what the tagger knows: the word and character
        vocabularies of its sentences (words first seen later are read as
        unknown words, as at predict time: the embedding table has a fixed
        size), the input statistics of numeric input, and the tags: those of
        its ``y`` plus ``classes``. A tag outside them in a later call is an
        error, so name every tag in ``classes`` when the first chunk may
        lack one.

        Parameters
        ----------
        X : list of sequences or keras.utils.PyDataset
            One chunk of sentences, or a dataset of ``(sentences,
            tag_lists)`` batches (then ``y`` is None).
        y : list of sequences, default=None
            Their tags.
        classes : array-like, default=None
            Every tag that can appear (first call only; later ignored).
        sample_weight : array-like of shape (n_sentences,), default=None
            Per-sentence weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, partial=True, classes=classes)

    def _check_params(self, keras):
        super()._check_params(keras)
        check_positive_ints("units", self.units)

    def _prepare_X(self, X, *, reset):
        sentences, token_mode = check_sentences(X, type(self).__name__)
        if reset:
            self.token_input_ = token_mode
        elif token_mode != self.token_input_:
            kind = "token" if self.token_input_ else "numeric"
            raise ValueError(
                f"{type(self).__name__} was fitted on {kind} sequences. "
                f"Received: X of {'token' if token_mode else 'numeric'} sequences."
            )
        if not token_mode:
            seqs = as_sequence_list(sentences)
            if reset:
                self.n_features_in_ = seqs[0].shape[1]
                # per feature, over the real steps only (no padding)
                self._fit_scaling(np.concatenate(seqs, axis=0), axis=0)
            elif seqs[0].shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {seqs[0].shape[1]} features per step, but "
                    f"{type(self).__name__} was fitted with {self.n_features_in_}."
                )
            return pad_sequences(seqs)
        if reset:
            # counts merged over the batches of a dataset (_running)
            words = Counter(self._word(t) for s in sentences for t in s)
            words = self._running("words", words, operator.add)
            self.vocabulary_ = build_vocabulary(words, self.min_frequency)
            if self.char_features:
                chars = Counter(c for s in sentences for t in s for c in t)
                chars = self._running("chars", chars, operator.add)
                self.char_vocabulary_ = build_vocabulary(chars, 1)
            if self.shape_features:
                shapes = Counter(token_shape(t) for s in sentences for t in s)
                shapes = self._running("shapes", shapes, operator.add)
                self.shape_vocabulary_ = build_vocabulary(shapes, 1)
            elif hasattr(self, "shape_vocabulary_"):
                del self.shape_vocabulary_  # from an earlier fit with shapes
            self.__dict__.pop("_vector_matrix", None)
            if self.word_vectors is not None:
                words, self._vector_matrix = word_vector_table(self.word_vectors)
                self.vector_vocabulary_ = {w: i + 2 for i, w in enumerate(words)}
            elif hasattr(self, "vector_vocabulary_"):
                del self.vector_vocabulary_
        return encode_tokens(
            sentences,
            self.vocabulary_,
            self.char_vocabulary_ if self.char_features else None,
            word=self._word,
            max_chars=self.max_word_length,
            shape_vocabulary=self._shapes(),
            vector_vocabulary=getattr(self, "vector_vocabulary_", None),
        )

    def _shapes(self):
        # what the fitted network takes, whatever the parameter says now (a
        # fit without shapes deletes the vocabulary; a tagger pickled before
        # shape features has none)
        return getattr(self, "shape_vocabulary_", None)

    def _word(self, token):
        return token.lower() if self.lowercase else token

    def _prepare_y(self, y, X, *, reset, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y (a list of tag sequences) "
                "to be passed, but the target y is None. Received: y=None"
            )
        lengths = X[-1].sum(axis=1)  # the mask's row sums
        if isinstance(y, np.ndarray) and y.ndim < 2 and y.dtype != object:
            raise ValueError(
                "y must be a list of tag sequences (one list per sentence). "
                f"Received an array of shape {y.shape}."
            )
        y = [list(tags) for tags in y]
        for i, tags in enumerate(y):
            if any(isinstance(t, float) and t != t for t in tags):
                raise ValueError(
                    f"y contains NaN tags (in sentence {i}): every token needs "
                    f"a tag. Received: y[{i}]={tags!r}"
                )
        if len(y) != len(lengths):
            raise ValueError(
                "X and y must hold the same number of sentences. Received: "
                f"len(X)={len(lengths)}, len(y)={len(y)}"
            )
        for i, (tags, n) in enumerate(zip(y, lengths)):
            if len(tags) != n:
                raise ValueError(
                    f"Sentence {i} must have one tag per token. Received: "
                    f"len(X[{i}])={n}, len(y[{i}])={len(tags)}"
                )
        if reset:
            seen = {t for tags in y for t in tags}
            self.classes_ = _labels.sorted_labels(
                seen.union(() if classes is None else list(classes))
            )
        flat = _labels.encode(
            self.classes_, [t for tags in y for t in tags], what="tags"
        )
        out = np.full((len(y), max(lengths)), -1, dtype=np.int32)
        out[lengths[:, None] > np.arange(out.shape[1])] = flat
        if reset:
            weights = _labels.class_weights(self.class_weight, self.classes_, flat)
            self.tag_weights_ = None if weights is None else weights.astype(np.float32)
        return out

    def _build_network(self, X, y, seed):
        from .architectures import build_tagger

        units = self.units if isinstance(self.units, (tuple, list)) else (self.units,)
        common = dict(
            units=tuple(units),
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            crf=self.crf,
            seed=seed,
        )
        if self.token_input_:
            return build_tagger(
                len(self.classes_),
                # tables rounded up: the folds of a search share a trace
                vocab_size=table_rows(len(self.vocabulary_) + 2),
                n_chars=(
                    table_rows(len(self.char_vocabulary_) + 2)
                    if self.char_features
                    else None
                ),
                embedding_dim=self.embedding_dim,
                char_embedding_dim=self.char_embedding_dim,
                char_filters=self.char_filters,
                n_shapes=(
                    table_rows(len(self.shape_vocabulary_) + 2)
                    if self._shapes()
                    else None
                ),
                word_vectors=self._take_vector_matrix(),
                **common,
            )
        return build_tagger(
            len(self.classes_),
            n_features=self.n_features_in_,
            mean=self.mean_,
            variance=self.scale_**2,
            **common,
        )

    def _take_vector_matrix(self):
        """The pre-trained vectors read at the last reset, once (not kept:
        the network holds them)."""
        if not hasattr(self, "vector_vocabulary_"):
            return None
        matrix = self.__dict__.pop("_vector_matrix", None)
        return word_vector_table(self.word_vectors)[1] if matrix is None else matrix

    def _loss(self, model):
        from .architectures.crf import CRFLoss, CRFTaggerModel
        from .architectures.layers import MaskedTagLoss

        if isinstance(model, CRFTaggerModel):
            return None  # the network computes its CRF loss itself
        if self.crf:  # a CRF network pickled before CRFTaggerModel existed
            return CRFLoss(model.get_layer("crf"))
        return MaskedTagLoss(self.tag_weights_)

    def _sample_weights(self, sample_weight, y, n, *, all_y=None):
        weights = super()._sample_weights(sample_weight, y, n)
        if weights is None or self.crf:
            return weights  # the CRF loss is one value per sentence
        # the softmax loss is one value per token: each token of a sentence
        # carries the sentence's weight
        return np.repeat(weights[:, None], y.shape[1], axis=1)

    def _metrics(self):
        from .architectures.layers import MaskedTokenAccuracy

        return [MaskedTokenAccuracy()]

    def _validation_score(self, history):
        return list(history["val_accuracy"]) if "val_accuracy" in history else None

    # ------------------------------------------------------------- predict

    def _outputs(self, X):
        """Network outputs for sentences ``X``, their mask and lengths."""
        check_is_fitted(self)
        X_net = self._prepare_X(X, reset=False)
        mask = X_net[-1]
        return self._forward(X_net), mask, mask.sum(axis=1).tolist()

    @_streaming.streams
    def predict(self, X):
        """Tag each token.

        Parameters
        ----------
        X : list of sequences
            Sentences, as in ``fit``.

        Returns
        -------
        tags : list of list
            One tag per token, for each sentence.
        """
        scores, mask, lengths = self._outputs(X)
        if self.crf:
            from .architectures.crf import crf_viterbi

            layer = self.model_.get_layer("crf")
            best = crf_viterbi(
                scores,
                mask,
                layer.transitions,
                layer.start_scores,
                layer.end_scores,
            )
        else:
            best = scores.argmax(axis=-1)
        classes = self.classes_
        return [classes[best[i, :n]].tolist() for i, n in enumerate(lengths)]

    @_streaming.streams
    def predict_proba(self, X):
        """Per-token tag probabilities (CRF: marginals by forward-backward).

        Parameters
        ----------
        X : list of sequences
            Sentences, as in ``fit``.

        Returns
        -------
        proba : list of ndarray
            One ``(t_i, n_tags)`` array per sentence; columns follow
            ``classes_``.
        """
        scores, mask, lengths = self._outputs(X)
        if self.crf:
            layer = self.model_.get_layer("crf")
            weights = [
                np.asarray(w)
                for w in (layer.transitions, layer.start_scores, layer.end_scores)
            ]
            from .architectures.crf import crf_marginals

            return [
                crf_marginals(scores[i, :n].astype(np.float64), *weights)
                for i, n in enumerate(lengths)
            ]
        return [scores[i, :n].astype(np.float64) for i, n in enumerate(lengths)]

    def score(self, X, y):
        """Token accuracy of ``predict(X)`` against ``y``.

        Tags in ``y`` that were never seen in ``fit`` simply count as errors.

        Parameters
        ----------
        X : list of sequences
            Sentences.
        y : list of sequences
            True tags.

        Returns
        -------
        accuracy : float
        """
        from .metrics import token_accuracy

        return token_accuracy([list(t) for t in y], self.predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True  # numeric (n, steps, features)
        tags.input_tags.string = True
        return tags
