"""The ``distribution`` parameter: training on more than one device.

One home for what every estimator's ``distribution`` means:

- ``None``: one device, Keras's default placement (a GPU when the backend
  sees one, else the CPU);
- ``"data_parallel"``: every local accelerator, or every CPU device when
  there is none (:func:`keras.distribution.list_devices`), through Keras's
  :class:`keras.distribution.DataParallel`: the weights are replicated on
  each device, every mini-batch is split across them, and the gradients
  are averaged;
- a :class:`keras.distribution.Distribution` (for example a
  ``ModelParallel`` layout), used as given.

Keras's distribution API runs on the JAX backend only. TensorFlow's
``MirroredStrategy`` needs Keras's own ``fit`` data pipeline, which
skneural's batch loop replaces, and torch has no Keras distribution: on
those backends a distribution is refused with a ValueError before any data
is read. Only public Keras API is used here; the JAX trainer that feeds the
split batches is in :mod:`skneural._backend`.
"""

import contextlib

import numpy as np

__all__ = ["DATA_PARALLEL", "resolve", "scope", "shell_key", "place"]

DATA_PARALLEL = "data_parallel"


def resolve(distribution):
    """``(keras Distribution or None, number of devices)`` for the parameter.

    Raises a ValueError naming the backend in use when it cannot
    distribute.
    """
    if distribution is None:
        return None, 1
    import keras  # imported already: the fit that asks has built Keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(
            f"distribution={distribution!r} needs Keras's JAX backend "
            "(set KERAS_BACKEND=jax before Keras is imported): Keras's "
            "distribution API runs on JAX only. The backend in use is "
            f"{backend!r}, on which skneural trains on one device: use "
            "distribution=None there."
        )
    if isinstance(distribution, str):  # DATA_PARALLEL (checked by the params)
        distribution = keras.distribution.DataParallel(
            devices=keras.distribution.list_devices()
        )
    return distribution, int(np.prod(distribution.device_mesh.shape))


@contextlib.contextmanager
def scope(distribution):
    """Within: variables are laid out and batches split by ``distribution``.

    Keras keeps the current distribution per thread, so fits in other
    threads (a threaded search) are not affected.
    """
    if distribution is None:
        yield
        return
    with distribution.scope():
        yield


def shell_key(distribution):
    """What a shell's traced steps depend on of ``distribution`` (JSON-able),
    or ``False`` where fits must not share shells.

    A shell's variables are laid out on the devices of the fit that built it
    (:mod:`skneural._shells`): a data-parallel shell serves later fits on
    the same devices. Other layouts (``ModelParallel``'s layout map) are
    not described here, so those fits build their own network each time.
    """
    if distribution is None:
        return None
    import keras

    if type(distribution) is not keras.distribution.DataParallel:
        return False
    mesh = distribution.device_mesh
    return [
        "DataParallel",
        distribution.batch_dim_name,
        list(mesh.axis_names),
        [str(d) for d in np.ravel(mesh.devices)],
    ]


def place(arrays):
    """The arrays of one batch, split across the current distribution's
    devices (a nested structure; ``None`` entries stay ``None``).

    Unchanged without a distribution, and when the batch's rows do not
    divide evenly among the devices (an epoch's last, smaller batch): a
    NumPy array is then replicated to every device by the step function,
    which computes the same result on one device's worth of rows.
    """
    import keras

    distribution = keras.distribution.distribution()
    if distribution is None:
        return arrays
    n_devices = int(np.prod(distribution.device_mesh.shape))
    leaves = [a for a in keras.tree.flatten(arrays) if a is not None]
    if any(len(a) % n_devices for a in leaves):
        return arrays

    def split(a):
        if a is None:
            return None
        return keras.distribution.distribute_tensor(
            a, distribution.get_data_layout(a.shape)
        )

    return keras.tree.map_structure(split, arrays)
