"""The command-line demo."""

import io

from skneural.__main__ import main, run_demo


def test_quick_demo_prints_a_row_per_estimator():
    out = io.StringIO()
    rows = run_demo(quick=True, out=out)
    text = out.getvalue()
    names = [r[0] for r in rows]
    assert names == [
        "CNNClassifier",
        "AutoencoderTransformer",
        "AutoencoderAnomalyDetector",
        "LSTMSequenceClassifier",
        "BiLSTMTagger",
    ]
    for name, _, metric, score, fit_time in rows:
        assert fit_time > 0
        assert f"{score:.4f}" in text and name in text and metric in text
    # even 5 epochs learn something: far above chance (0.1) on digits
    assert rows[0][3] > 0.5
    assert "estimator" in text.splitlines()[-len(rows) - 2]


def test_cli_requires_a_command(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main([])
    assert "demo" in capsys.readouterr().err
