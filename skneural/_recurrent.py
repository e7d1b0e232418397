"""LSTMSequenceClassifier: one label per sequence, by LSTM or GRU layers."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from . import _docs
from ._base import check_positive_ints
from ._batching import merge_moments
from ._classifier import NeuralClassifierBase
from .preprocessing import as_sequence_list, pad_sequences

#: The step ``learning_rate=None`` means with the default Adam.
ADAM_STEP = 0.003


_TRAINING_PARAMS = _docs.training_params(
    "sequences",
    adam_step=ADAM_STEP,
    learning_rate_note="""
        with 0.001, LSTMs on small sets often stayed longer at chance.
        A constant step is halved whenever the training loss has not
        improved by ``tol`` for ``2 * n_iter_no_change`` epochs, down to
        1/30 of where it started (scikit-learn's ``learning_rate="adaptive"``
        at the patience of LSTM-FCN's reference training); the steps used
        are in ``history_["learning_rate"]``. On UCR sets (seeds 0-4) it
        raised GunPoint from 0.989 to 0.996 and ItalyPowerDemand from 0.963
        to 0.970.""",
    stratified=True,
    class_weight="class",
    plural="es",
)
_TRAINING_ATTRIBUTES = _docs.training_attributes(
    "Validation accuracy", "``loss``, ``accuracy``, ``val_loss``, ..."
)


#: Typical training sequence length (in steps) up to which the convolutional
#: branch reads step by step; beyond it, the recurrent layers' frames.
CONV_STEPS = 256


def conv_frame_length(typical_length, frame_length):
    """Steps per position of the convolutional branch.

    ``typical_length``: the training sequences' length, or where lengths
    differ, their geometric mean (the longest is an outlier's length).

    Step by step up to ``CONV_STEPS``: on the UCR GunPoint set (150 steps)
    frames of 4 lost fine detail (seeds 1 and 4: 0.95 and 0.93, against
    0.99 and 1.00 step by step); on PickupGestureWiimoteZ (29 to 361 steps,
    geometric mean 126), seeds 0-9 gave 0.776 (0.74-0.84) step by step in
    31 s a fit, against 0.754 (0.62-0.82) in 17 s in frames, when the longest
    sequence decided. Longer sequences are read in the recurrent layers'
    frames: the windows then span ``frame_length`` times as many steps at
    ``1 / frame_length`` of the cost (ACSF1, 1,460 steps: 0.87 and 0.82 on
    seeds 0 and 2 in 170 s; frames of 6, 0.79 and 0.76; step by step, 7
    minutes a fit).
    """
    return 1 if typical_length <= CONV_STEPS else frame_length


#: The largest factor by which a convolution block's default dilation rate
#: exceeds the block's before it.
DILATION_GROWTH = 4
#: The first block's default rate is at most this: its windows still read
#: fine detail.
MAX_FIRST_DILATION = 4


def conv_dilation_rates(typical_length, kernel_sizes, frame_length):
    """Default dilation rates of the convolution blocks, ``(d, g d, g^2 d,
    ...)``: the widest of rates 1 (``d = g = 1``), then growths ``g`` up to
    ``DILATION_GROWTH``, then first rates ``d`` up to ``MAX_FIRST_DILATION``
    whose stacked windows span at most twice the typical sequence.

    ``typical_length``: the training sequences' typical length in steps
    (see :func:`conv_frame_length`); ``frame_length``: the steps the
    branch reads as one position. A branch that reads frames is not
    dilated: frames already widen its windows, and on ACSF1 (1,460 steps,
    frames of 4) rates (4, 16, 64) lost 0.03 (seeds 0 and 1: 0.88 and 0.87
    against 0.90 and 0.91 undilated).

    Undilated, the default windows (8, 5, 3) span 14 positions, a small
    part of a gesture or a heartbeat. On UCR PickupGestureWiimoteZ (typical
    length 126) seeds 0-4 gave 0.788 (0.78-0.80) undilated, 0.808 at rates
    (1, 4, 16), 0.824 at (2, 8, 32) and 0.848 (0.80-0.86) at (4, 16, 64),
    which span 221 steps, against MiniRocket's 0.852 (its dilations also
    grow with the series' length); (1, 8, 64) got 0.784: the first block
    needs the wider rate too. GunPoint (150 steps) got 0.995 at (2, 8, 32)
    and 0.992 at (4, 16, 64), against 0.991 undilated. Short sequences
    need short spans: ItalyPowerDemand (24 steps) got 0.963 at (2, 8, 32)
    but 0.956 at (4, 16, 64), and sequences of 4 to 10 steps whose class is
    the first step's sign were learnt less well at (1, 4, 16) than
    undilated (test accuracy 0.87 against 0.93 or more).
    """
    if frame_length > 1:
        return (1,) * len(kernel_sizes)

    def span(first, growth):
        return 1 + sum((k - 1) * first * growth**i for i, k in enumerate(kernel_sizes))

    candidates = [(1, g) for g in range(1, DILATION_GROWTH + 1)] + [
        (d, DILATION_GROWTH) for d in range(2, MAX_FIRST_DILATION + 1)
    ]
    first, growth = candidates[0]
    for d, g in candidates:
        if span(d, g) <= 2 * typical_length:
            first, growth = d, g
    return tuple(first * growth**i for i in range(len(kernel_sizes)))


class LSTMSequenceClassifier(NeuralClassifierBase):
    __doc__ = f"""Sequence classifier with LSTM (or GRU) layers.

    Recurrent layers read each sequence in order, ``frame_length`` steps at
    a time, and are trained by backpropagation through time; LSTM (and GRU)
    gates keep gradients from vanishing over long sequences. Sequences of
    different lengths are padded inside and masked, so padding never changes
    a prediction, and sequences at predict time may be longer or shorter than
    any seen in ``fit``. Features are standardised inside the network with
    statistics learned in ``fit`` (padding ignored). When the training
    sequences differ in length, each sequence's log length (read from its
    mask, standardised over the training sequences) joins the features the
    output layer reads: averages over the real steps do not see duration.

    Parameters
    ----------
    units : int or tuple of int, default=64
        Units of the recurrent layer; a tuple stacks several layers.
    cell : {{"lstm", "gru"}}, default="lstm"
        Recurrent cell.
    bidirectional : bool, default=False
        Also read each sequence backwards and use both final states.
    dense_units : tuple of int, default=()
        Optional dense layers between the recurrent layers and the output.
    data_format : {{"channels_last", "channels_first"}}, default="channels_last"
        Array layout: ``(n, timesteps, features)`` (Keras) or
        ``(n, features, timesteps)`` (aeon, sktime); list items likewise.
    frame_length : int, default=4
        Consecutive timesteps the recurrent layer reads as one step (their
        features side by side; a sequence's last frame may be partial).
        Reading 4 steps at a time makes the recurrent chain 4 times shorter:
        gradients cross fewer steps, and training is faster. 1 reads the
        sequence step by step.
    chrono_init : bool, default=False
        Initialise the LSTM gate biases for memories as long as the longest
        training sequence (in frames), after Tallec & Ollivier's "chrono"
        initialisation, instead of Keras's forget bias of 1. It helps when
        the class depends on steps far back in a long sequence (see the
        user guide) but slowed learning on the UCR GunPoint set.
    dropout : float, default=0.1
        Dropout on the inputs of each recurrent layer (and after dense
        layers).
    recurrent_dropout : float, default=0.0
        Dropout on the recurrent state. Any value > 0 stops TensorFlow from
        using its fused cuDNN kernel on a GPU (so do non-default
        activations); the defaults keep it.
    conv_filters : tuple of int or None, default=(64, 128, 64)
        A fully convolutional branch beside the recurrent one, as in
        LSTM-FCN (Karim et al., 2017, "LSTM Fully Convolutional Networks for
        Time Series Classification"): one block per entry (Conv1D with this
        many filters, batch normalisation, ReLU) over the timesteps, then a
        global average over the real steps, concatenated with the recurrent
        output. Convolutions find local shapes anywhere in a long series,
        which a recurrent layer alone reading hundreds of steps does not.
        On training sequences typically longer than 256 steps (the
        geometric mean of their lengths) the branch reads the recurrent
        layers' frames instead of single steps: wider windows at
        ``1 / frame_length`` of the cost (UCR ACSF1, 1,460 steps: under 3
        minutes a fit, not 7). Padded steps are zeroed before each
        convolution and skipped by the normalisation and the average, so
        padding never changes a prediction. After ``fit``, the batch
        normalisation statistics are those of the training data under the
        final weights. The paper's widths, ``(128, 256, 128)``, cost about
        four times as much (GunPoint 0.99 against 0.98 here, at 3.5 times
        the fit time). None: the recurrent layers alone.
    conv_kernel_sizes : tuple of int, default=(8, 5, 3)
        Window of each convolution block, one per ``conv_filters`` entry.
    conv_dilation_rates : "auto" or tuple of int, default="auto"
        Dilation of each convolution block, one per ``conv_filters`` entry:
        a window of ``k`` at rate ``r`` reads every ``r``-th step (or frame)
        and spans ``(k - 1) * r + 1``, so the stacked blocks see shapes as
        long as the sequences, as MiniRocket's dilations do. "auto": rates
        ``(d, g d, g^2 d, ...)`` growing with the typical training sequence
        (the geometric mean of the lengths) as far as the blocks together
        span at most twice it, first the growth ``g`` up to 4, then the
        first rate ``d`` up to 4: with the default windows ``(4, 16, 64)``
        from about 110 steps on, ``(1, 3, 9)`` at 24 steps, 1 each under 12
        steps and where the branch reads frames (they widen its windows
        already). On UCR PickupGestureWiimoteZ (seeds 0-4) rates
        ``(4, 16, 64)`` gave 0.848 against 0.788 undilated; see the user
        guide.
{_TRAINING_PARAMS}

    Attributes
    ----------
    model_ : keras.Model
        The trained network; inputs ``[values, mask]``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features per timestep.
    mean_, scale_ : ndarray of shape (n_features,)
        Per-feature mean and standard deviation over the real steps of the
        training sequences; the network sees ``(x - mean_) / scale_``.
{_TRAINING_ATTRIBUTES}

    See Also
    --------
    CNNClassifier : Convolutions, also over 1-D signals.

    Examples
    --------
    >>> import numpy as np
    >>> from skneural import LSTMSequenceClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(t, 2)) for t in rng.randint(5, 15, size=60)]
    >>> y = [int(s[0, 0] > 0) for s in X]
    >>> clf = LSTMSequenceClassifier(units=8, epochs=2, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _sequence_input = True

    _adam_learning_rate = ADAM_STEP

    _halve_step_on_plateau = True

    _parameter_constraints = {
        **NeuralClassifierBase._parameter_constraints,
        "units": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "cell": [StrOptions({"lstm", "gru"})],
        "bidirectional": ["boolean"],
        "dense_units": [tuple, list],
        "data_format": [StrOptions({"channels_last", "channels_first"})],
        "recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "frame_length": [Interval(Integral, 1, None, closed="left")],
        "chrono_init": ["boolean"],
        "conv_filters": [tuple, list, None],
        "conv_kernel_sizes": [tuple, list],
        "conv_dilation_rates": [StrOptions({"auto"}), tuple, list],
    }

    def __init__(
        self,
        *,
        units=64,
        cell="lstm",
        bidirectional=False,
        dense_units=(),
        data_format="channels_last",
        frame_length=4,
        chrono_init=False,
        dropout=0.1,
        recurrent_dropout=0.0,
        conv_filters=(64, 128, 64),
        conv_kernel_sizes=(8, 5, 3),
        conv_dilation_rates="auto",
        epochs=200,
        batch_size=32,
        optimizer="adam",
        learning_rate=None,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        class_weight=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        distribution=None,
    ):
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.dense_units = dense_units
        self.data_format = data_format
        self.frame_length = frame_length
        self.chrono_init = chrono_init
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.conv_filters = conv_filters
        self.conv_kernel_sizes = conv_kernel_sizes
        self.conv_dilation_rates = conv_dilation_rates
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

    def _check_params(self, keras):
        super()._check_params(keras)
        check_positive_ints("units", self.units)
        check_positive_ints("dense_units", self.dense_units, allow_empty=True)
        if self.conv_filters is not None:
            check_positive_ints("conv_filters", self.conv_filters, allow_empty=True)
            # one entry per block, each a positive int
            per_block = [("conv_kernel_sizes", "window")]
            if self.conv_dilation_rates != "auto":
                per_block.append(("conv_dilation_rates", "rate"))
            for name, entry in per_block:
                value = getattr(self, name)
                check_positive_ints(name, value)
                if len(value) != len(self.conv_filters):
                    raise ValueError(
                        f"{name} needs one {entry} per conv_filters entry "
                        f"({len(self.conv_filters)}). Received: "
                        f"{name}={tuple(value)}"
                    )

    def _prepare_X(self, X, *, reset):
        # column names of a DataFrame (one column per timestep) are checked
        # as scikit-learn's estimators check them; the arrays are read below
        validate_data(self, X, skip_check_array=True, ensure_2d=False, reset=reset)
        seqs = as_sequence_list(X, data_format=self.data_format)
        n_features = seqs[0].shape[1]
        if reset:
            if len(seqs) < self._min_samples(reset):
                raise ValueError(
                    f"Found X with {len(seqs)} sequence(s) (n_samples = 1), "
                    "while a minimum of 2 is required."
                )
            self.n_features_in_ = n_features
            # per feature, over the real steps only (no padding)
            self._fit_scaling(np.concatenate(seqs, axis=0), axis=0)
            # (over every batch of a dataset)
            self._max_length = self._running(
                "max_length", max(len(s) for s in seqs), max
            )
            self._log_length = self._length_statistics(seqs)
        elif n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features per timestep, but "
                f"{type(self).__name__} was fitted with {self.n_features_in_}."
            )
        return pad_sequences(seqs)

    def _length_statistics(self, seqs):
        """Mean and standard deviation of the training sequences' log
        lengths (merged over a dataset's batches), or None when every
        sequence is as long: length then says nothing."""
        logs = np.log([len(s) for s in seqs])
        count, mean, m2 = self._running(
            "log_length",
            (len(logs), logs.mean(), ((logs - logs.mean()) ** 2).sum()),
            merge_moments,
        )
        std = float(np.sqrt(m2 / count))
        return None if std < 1e-3 else (float(mean), std)

    def _build_network(self, X, y, seed):
        from .architectures import build_recurrent_classifier

        units = self.units if isinstance(self.units, (tuple, list)) else (self.units,)
        # the training sequences' typical length (in steps)
        typical = (
            self._max_length
            if self._log_length is None
            else math.exp(self._log_length[0])
        )
        conv_frames = conv_frame_length(typical, self.frame_length)
        return build_recurrent_classifier(
            self.n_features_in_,
            len(self.classes_),
            units=tuple(units),
            cell=self.cell,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
            dense_units=tuple(self.dense_units),
            mean=self.mean_,
            variance=self.scale_**2,
            # the recurrent layers see frames, so memories span frames
            max_timesteps=(
                -(-self._max_length // self.frame_length) if self.chrono_init else None
            ),
            frame_length=self.frame_length,
            conv_filters=None
            if self.conv_filters is None
            else tuple(self.conv_filters),
            conv_kernel_sizes=tuple(self.conv_kernel_sizes),
            conv_dilation_rates=(
                conv_dilation_rates(typical, self.conv_kernel_sizes, conv_frames)
                if self.conv_dilation_rates == "auto"
                else tuple(self.conv_dilation_rates)
            ),
            conv_frame_length=conv_frames,
            log_length=self._log_length,
            seed=seed,
        )

    def __setstate__(self, state):
        # Pickled before conv_dilation_rates existed: the branch was
        # undilated, and a refit (or a clone) should build it so again.
        if "conv_dilation_rates" not in state:
            filters = state.get("conv_filters")
            state = {
                **state,
                "conv_dilation_rates": (1,) * len(filters) if filters else "auto",
            }
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


# BiLSTMTagger lived here until 0.1.0's restructuring: pickles made before it
# name this module, so the class must still be found here.
from ._tagger import BiLSTMTagger  # noqa: E402, F401
