"""The Examples sections of the public docstrings run as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "skneural._cnn",
    "skneural._autoencoder",
    "skneural._recurrent",
    "skneural._tagger",
    "skneural._own",
    "skneural._regressor",
    "skneural.architectures.layers",
    "skneural.architectures.mlp",
    "skneural.datasets",
    "skneural.preprocessing",
    "skneural.metrics",
    "skneural.plotting",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
