"""Docstring text every estimator shares: the training parameters and the
fitted attributes of the training loop.

One home for these words: each estimator's class docstring is an f-string
that takes its training section from :func:`training_params` and its
history attributes from :func:`training_attributes`, filling in what differs
(what a sample is called, a default, what the validation score is).
"""

# Where the API pages are published: the Sphinx build of docs/ (autosummary
# writes one page per estimator under generated/). The HTML repr of every
# estimator links there; pyproject.toml's [project.urls] names the same site.
DOCS_URL = "https://skneural.readthedocs.io/en/stable"
API_PAGE = DOCS_URL + "/generated/{estimator_module}.{estimator_name}.html"

_TRAINING_PARAMS = """\
    epochs : int, default=200
        Maximum number of passes over the training {rows}.
    batch_size : int or "auto", default={batch_size}
        Most {rows} per mini-batch; "auto" is ``min(200, n_samples)``. An
        epoch's batches are as even as they can be (100 {rows} at 32: four
        of 25, not a last one of 4).{batch_size_note}
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Optimizer name or instance (an instance is copied for every fit).
    learning_rate : float, default=None
        Step size; ``None`` keeps the optimizer's default (0.001 for Adam)
        or an optimizer instance's own.{learning_rate_note}
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the {rows}{stratified}
        and stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the best weights are restored. With
        ``False`` all ``epochs`` run on all the {rows}.
        A held-out set of fewer than 20 {rows} is too small to pick an
        epoch by, so smaller fits run all ``epochs`` on all the {rows}.
    validation_fraction : float, default=0.1
        Share of the training {rows} held out for early stopping; ignored
        when ``fit`` is given ``validation_data``.
    n_iter_no_change : int, default={n_iter_no_change}
        Patience of early stopping, in epochs.{n_iter_no_change_note}
    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as improvement.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks; each fit uses fresh copies.
{class_weight}\
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout{noise}, shuffling and the
        validation split. An int makes fits reproducible; the global random
        state of Python, NumPy and the Keras backend is left untouched.
    verbose : int, default=0
        1 shows Keras's progress bar, and says when early stopping ended a
        fit and which epoch's weights it kept.
    warm_start : bool, default=False
        Continue training the fitted network on the next ``fit``.
    distribution : None, "data_parallel" or keras.distribution.Distribution, \
default=None
        Devices to train on. ``None``: one device (a GPU when the backend
        sees one). ``"data_parallel"``: every local GPU or TPU (else every
        CPU device), each batch split across them
        (:class:`keras.distribution.DataParallel`); a Distribution is used
        as given. Needs Keras's JAX backend: on TensorFlow and torch it
        raises a ValueError. See the user guide's "Large data and many
        devices"."""

_CLASS_WEIGHT = """\
    class_weight : dict, "balanced" or None, default=None
        Weight of each {label} in the loss (a dict maps labels to
        weights, missing labels weigh 1); "balanced" weighs the {labels}
        inversely to their frequency in the fit's data, as in scikit-learn.
"""

_TRAINING_ATTRIBUTES = """\
    history_ : dict of str to list of float
        Per-epoch logs ({logs}),
        over every fit of a warm start.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_scores_ : list of float or None
        {score} per epoch, higher is better
        (``None`` without early stopping).
    best_epoch_ : int or None
        Index (into ``loss_curve_``) of the epoch whose weights were kept
        (``None`` without early stopping).
    best_validation_score_ : float or None
        Validation score of that epoch.
    n_iter_ : int
        Number of epochs run.
    n_devices_ : int
        Number of devices the last fit trained on (see ``distribution``)."""


def training_params(
    rows="samples",
    *,
    adam_step=None,
    learning_rate_note="",
    batch_size="32",
    batch_size_note="",
    n_iter_no_change="10",
    n_iter_no_change_note="",
    stratified=False,
    class_weight=None,
    noise=False,
    plural="s",
):
    """The numpydoc entries ``epochs`` ... ``warm_start``.

    ``rows``: what one training row is ("samples", "sequences", ...);
    ``adam_step``: the estimator's ``_adam_learning_rate``, which
    ``learning_rate=None`` means with the default Adam, said before
    ``learning_rate_note`` (the reason);
    ``class_weight``: what it weighs ("class", "tag"), or None where the
    estimator has no ``class_weight``; ``plural``: the ending of its plural.
    """
    return _TRAINING_PARAMS.format(
        rows=rows,
        Rows=rows[:1].upper() + rows[1:],
        learning_rate_note=(
            f"""
        Here ``None`` with ``optimizer="adam"`` means {adam_step:g}, not
        Adam's 0.001:"""
            if adam_step
            else ""
        )
        + learning_rate_note,
        batch_size=batch_size,
        batch_size_note=batch_size_note,
        n_iter_no_change=n_iter_no_change,
        n_iter_no_change_note=n_iter_no_change_note,
        stratified=" (stratified by class)" if stratified else "",
        class_weight=""
        if class_weight is None
        else _CLASS_WEIGHT.format(label=class_weight, labels=class_weight + plural),
        noise=", input noise" if noise else "",
    )


def training_attributes(score, logs="``loss``, ``val_loss``, ..."):
    """The numpydoc entries ``history_`` ... ``n_iter_``.

    ``score`` says what ``validation_scores_`` holds.
    """
    return _TRAINING_ATTRIBUTES.format(score=score, logs=logs)
