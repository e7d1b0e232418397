"""
Memory: plain RNN against LSTM, one direction against two
=========================================================

Two tasks that need memory.

1. **Long dependency.** The class of a 100-step sequence is set by its first
   3 steps; the other 97 are noise. A plain ``SimpleRNN`` (raw Keras, same
   size) cannot carry the gradient back 97 steps: it vanishes, and accuracy
   stays at chance. ``LSTMSequenceClassifier``'s gated cell state carries
   it.
2. **Looking ahead.** Each word's tag depends on the *next* word. A
   left-to-right tagger has not read it yet; the bidirectional
   ``BiLSTMTagger`` has.

The script prints the test accuracy of all four and plots them.
"""

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skneural import BiLSTMTagger, LSTMSequenceClassifier  # noqa: E402
from skneural.datasets import make_long_dependency, make_lookahead_tagging  # noqa: E402

X, y = make_long_dependency(600, length=100, random_state=0)
X_train, X_test, y_train, y_test = X[:400], X[400:], y[:400], y[400:]
# step by step (frame_length=1) and at Adam's default step size, like the
# SimpleRNN; chrono_init sets the gates up for memories of 100 steps
lstm = LSTMSequenceClassifier(
    units=16, frame_length=1, chrono_init=True, learning_rate=0.001, random_state=0
).fit(X_train, y_train)
keras.utils.set_random_seed(0)
rnn = keras.Sequential(
    [
        keras.Input((100, 1)),
        keras.layers.SimpleRNN(16),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
rnn.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
rnn.fit(X_train, y_train, epochs=lstm.n_iter_, batch_size=32, verbose=0)
scores = {
    "SimpleRNN": rnn.evaluate(X_test, y_test, verbose=0)[1],
    "LSTM": lstm.score(X_test, y_test),
}

S, T = make_lookahead_tagging(600, random_state=0)
for name, bidirectional in (("left-to-right", False), ("bidirectional", True)):
    tagger = BiLSTMTagger(bidirectional=bidirectional, random_state=0)
    tagger.fit(S[:400], T[:400])
    scores[name] = tagger.score(S[400:], T[400:])

for name, score in scores.items():
    print(f"{name:>14}: test accuracy {score:.3f}")

fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(list(scores), list(scores.values()), color=["C1", "C0", "C1", "C0"])
ax.axhline(0.5, color="k", linestyle=":", label="chance (task 1)")
ax.set_ylabel("test accuracy")
ax.set_title("Task 1: long dependency    |    Task 2: tags need the next word")
ax.legend()
fig.savefig("memory.png", dpi=120, bbox_inches="tight")
