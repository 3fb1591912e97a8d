"""Keras models as tutorials write them: built here, trained a few steps, saved every way; each predicts like model.predict.

Every fixture is a real Keras model trained with ``model.fit`` on tiny data, then saved with
``model.save`` (.keras and the legacy .h5) and ``save_weights``. Imported, each must give what
Keras' own ``model.predict`` gives on the same images, to 1e-5 (with softmax applied when the
model ends in logits, and pixels 0-255 fed to a model that rescales them itself). Models that
are not dense networks are refused by name and their code never runs.
"""

from __future__ import annotations

import h5py
import keras
import numpy as np
import pytest

from visualizer.core.errors import ActivationRequired, WeightsError
from visualizer.training.export import import_model

RNG = np.random.default_rng(0)
X = RNG.random((64, 784), dtype=np.float32)  # nnviz's pixels: 0-1
Y = RNG.integers(0, 10, 64)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _fit(model, x, loss):
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    model.fit(x, Y, epochs=1, batch_size=16, verbose=0)  # four steps
    return model


def quickstart():
    """TensorFlow's beginner quickstart, smaller: Flatten(input_shape=(28, 28)), Dropout, logits."""
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])
    return _fit(model, X.reshape(-1, 28, 28), keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def rescaling():
    """Fed raw 0-255 pixels; Rescaling(1/255) inside, on a 28x28x1 image."""
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Rescaling(1.0 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return _fit(model, 255 * X.reshape(-1, 28, 28, 1), "sparse_categorical_crossentropy")


def batchnorm():
    """BatchNormalization before an Activation layer and after an activation; a Softmax layer at the end."""
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(16),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Dense(12, activation="sigmoid"),
        keras.layers.BatchNormalization(center=False, epsilon=0.01),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])
    _fit(model, X, "sparse_categorical_crossentropy")
    for layer in model.layers:  # moving statistics far from their start, so folding them matters
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([RNG.uniform(0.5, 2.0, w.shape).astype(np.float32) if i % 2 or i == len(
                layer.get_weights()) - 1 else RNG.normal(0, 1, w.shape).astype(np.float32)
                for i, w in enumerate(layer.get_weights())])
    return model


def mixed():
    """relu then tanh (from a separate Activation layer), with GaussianNoise between."""
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.GaussianNoise(0.1),
        keras.layers.Dense(8),
        keras.layers.Activation("tanh"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return _fit(model, X, "sparse_categorical_crossentropy")


def keras2_style():
    """The Keras 2 way: no Input, input_shape on the first Dense."""
    model = keras.Sequential([
        keras.layers.Dense(16, activation="sigmoid", input_shape=(784,)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return _fit(model, X, "sparse_categorical_crossentropy")


def functional():
    inputs = keras.Input((28, 28), name="image")
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dense(12, activation="tanh", name="hidden")(h)
    h = keras.layers.Dropout(0.3)(h)  # saved as called with training=False
    outputs = keras.layers.Dense(10, name="scores")(h)
    model = keras.Model(inputs, outputs)
    return _fit(model, X.reshape(-1, 28, 28), keras.losses.SparseCategoricalCrossentropy(from_logits=True))


# name -> (builder, how Keras is fed nnviz's pixels, the output is logits, hidden activations)
MODELS = {
    "quickstart": (quickstart, lambda x: x.reshape(-1, 28, 28), True, ("relu",)),
    "rescaling": (rescaling, lambda x: 255 * x.reshape(-1, 28, 28, 1), False, ("relu",)),
    "batchnorm": (batchnorm, lambda x: x, False, ("relu", "sigmoid")),
    "mixed": (mixed, lambda x: x, False, ("relu", "tanh")),
    "keras2_style": (keras2_style, lambda x: x, False, ("sigmoid",)),
    "functional": (functional, lambda x: x.reshape(-1, 28, 28), True, ("tanh",)),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every model trained and saved three ways, with Keras' own probabilities for X."""
    folder = tmp_path_factory.mktemp("keras-models")
    out = {}
    for name, (build, feed, logits, _) in MODELS.items():
        model = build()
        predicted = model.predict(feed(X), verbose=0)
        paths = {}
        for ext in ("keras", "h5", "weights.h5"):
            paths[ext] = folder / f"{name}.{ext}"
            (model.save_weights if ext == "weights.h5" else model.save)(paths[ext])
        out[name] = (paths, softmax(predicted) if logits else predicted)
    return out


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("name", MODELS)
def test_model_files_import_and_predict_like_keras(saved, name, ext):
    paths, expected = saved[name]
    imported = import_model(paths[ext])
    net = imported.network
    assert net.hidden_activations == MODELS[name][3] and net.output == "softmax"
    np.testing.assert_allclose(net.probabilities(X), expected, atol=1e-5, rtol=0)
    notes = " ".join(imported.notes)
    assert ("logits" in notes) is MODELS[name][2]  # softmax applied, and said so
    assert ("0-255" in notes) is (name == "rescaling")
    assert ("BatchNormalization" in notes) is (name == "batchnorm")


@pytest.mark.parametrize("name", ["quickstart", "mixed", "keras2_style", "functional"])
def test_keras_weights_files_need_their_activations_said(saved, name):
    paths, expected = saved[name]
    with pytest.raises(ActivationRequired, match=f"{name}.weights.h5: a Keras weights file stores no activations"):
        import_model(paths["weights.h5"])
    net = import_model(paths["weights.h5"], activation=MODELS[name][3]).network
    np.testing.assert_allclose(net.probabilities(X), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name, layer", [("rescaling", "rescaling"), ("batchnorm", "batch_normalization")])
def test_weights_files_of_layers_with_settings_send_the_user_to_the_model_file(saved, name, layer):
    with pytest.raises(WeightsError, match=f"holds a '{layer}' layer whose settings only the model's config has; "
                                           "import the .keras file"):
        import_model(saved[name][0]["weights.h5"], activation="relu")


def _keras2_save_weights(model, path):
    """What Keras 2's ``model.save_weights("x.h5")`` writes: layer groups at the root, named weights."""
    with h5py.File(path, "w") as f:
        names = [layer.name for layer in model.layers]
        f.attrs["layer_names"] = np.array([n.encode() for n in names])
        f.attrs["backend"], f.attrs["keras_version"] = b"tensorflow", b"2.15.0"
        for layer in model.layers:
            group = f.create_group(layer.name)
            weight_names = [f"{layer.name}/{w}:0" for w in ("kernel", "bias")][: len(layer.get_weights())]
            group.attrs["weight_names"] = np.array([w.encode() for w in weight_names])
            for weight_name, value in zip(weight_names, layer.get_weights(), strict=True):
                group[weight_name] = value
    return path


def test_a_keras_2_weights_file_is_read_with_the_activation_given(saved, tmp_path):
    model = keras2_style()
    path = _keras2_save_weights(model, tmp_path / "old.h5")
    with pytest.raises(ActivationRequired, match="old.h5: a Keras 2 style weights file .* stores no activations"):
        import_model(path)
    net = import_model(path, activation="sigmoid").network
    np.testing.assert_allclose(net.probabilities(X), model.predict(X, verbose=0), atol=1e-5, rtol=0)


# ------------------------------------------------------------------------- refused, never run


def test_conv2d_is_refused_by_name_in_every_file(tmp_path):
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, name="edges"),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "conv.keras")
    model.save(tmp_path / "conv.h5")
    model.save_weights(tmp_path / "conv.weights.h5")
    with pytest.raises(WeightsError, match="conv.keras: it contains a 'Conv2D' layer \\('edges'\\)"):
        import_model(tmp_path / "conv.keras")
    with pytest.raises(WeightsError, match="conv.h5: layer 'edges' holds a 4-D kernel, so it is not a Dense layer"):
        import_model(tmp_path / "conv.h5")  # its 4-D kernel is refused before the config is read
    with pytest.raises(WeightsError, match="conv.weights.h5: it contains a 'conv2d' layer"):
        import_model(tmp_path / "conv.weights.h5", activation="relu")


def test_a_lambda_layer_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "lambda-ran"

    def leave_a_mark(x):
        marker.write_text("the model's own code ran")
        return x

    model = keras.Sequential([keras.Input((784,)), keras.layers.Lambda(leave_a_mark, name="sneaky"),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "lambda.keras")
    model.save(tmp_path / "lambda.h5")
    marker.unlink()  # Keras ran it while building the model; from here on nothing may
    for ext in ("keras", "h5"):
        with pytest.raises(WeightsError, match=f"lambda.{ext}: it contains a 'Lambda' layer \\('sneaky'\\)"):
            import_model(tmp_path / f"lambda.{ext}")
    assert not marker.exists()


def test_custom_layer_classes_are_refused_by_name(tmp_path):
    @keras.saving.register_keras_serializable(package="mine")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((784,)), Twice(name="twice"), keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "custom.keras")
    with pytest.raises(WeightsError, match="custom.keras: layer 'twice' is a custom 'Twice' class"):
        import_model(tmp_path / "custom.keras")


@pytest.mark.parametrize("layers, match", [
    (lambda: [keras.layers.Dense(8, activation="relu", name="h"), keras.layers.Activation("tanh", name="a")],
     "layer 'a' applies tanh after 'h', which already has an activation \\(relu\\)"),
    (lambda: [keras.layers.Dense(8, activation="elu", name="h")], "layer 'h' uses elu"),
    (lambda: [keras.layers.Dense(8, activation="relu", name="h"), keras.layers.BatchNormalization(name="bn"),
              keras.layers.ReLU(name="r")], "layer 'r' applies relu after 'bn', which comes after 'h' and its relu"),
])
def test_what_one_activation_per_layer_cannot_express_is_refused(tmp_path, layers, match):
    model = keras.Sequential([keras.Input((784,)), *layers(), keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "odd.keras")
    with pytest.raises(WeightsError, match=match):
        import_model(tmp_path / "odd.keras")


# ---------------------------------------------------------------- TensorFlow's beginner quickstart


def _predict_json(*args):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "visualizer", "predict", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=root)
    rows = [json.loads(line) for line in proc.stdout.splitlines()] if proc.returncode == 0 else None
    return proc, rows


@pytest.mark.mnist
def test_tensorflow_quickstart_opens_in_the_window_and_in_predict(mnist_dataset, tmp_path):
    """https://www.tensorflow.org/tutorials/quickstart/beginner, on 2,000 images for one epoch."""
    import sys
    from pathlib import Path

    from PIL import Image

    from visualizer.session import RunState, Session
    from visualizer.ui.workers import Backend

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "session"))
    from session_fakes import FakeJobs  # runs each job at once; the window runs them on worker threads

    x_train = mnist_dataset.x_train[:2000].reshape(-1, 28, 28)  # x_train / 255.0, as the page does
    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10),
    ])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    model.fit(x_train, mnist_dataset.y_train[:2000], epochs=1, verbose=0)
    model.save(tmp_path / "quickstart.keras")
    model.save_weights(tmp_path / "quickstart.weights.h5")
    x_test = mnist_dataset.x_test[:20]
    keras_probabilities = softmax(model.predict(x_test.reshape(-1, 28, 28), verbose=0))  # the page's tf.nn.softmax

    # The window's path: the session imports it through the Backend the window uses.
    session = Session(None, FakeJobs(), Backend())
    session.start_loading(dataset=mnist_dataset)
    assert session.state is RunState.READY
    messages = []
    session.status_message.connect(messages.append)
    session.import_weights(str(tmp_path / "quickstart.keras"))
    assert session.network.layer_sizes == (784, 128, 10) and session.imported_from == "quickstart.keras"
    assert "logits" in messages[-1]
    np.testing.assert_allclose(session.network.probabilities(x_test), keras_probabilities, atol=1e-5, rtol=0)

    # `nnviz predict` on the test digits saved as PNG files: MNIST format, so fed as they are.
    images = []
    for i, digit in enumerate(x_test):
        images.append(tmp_path / f"digit{i}.png")
        Image.fromarray(np.round(digit.reshape(28, 28) * 255).astype(np.uint8)).save(images[-1])
    proc, rows = _predict_json("--weights", tmp_path / "quickstart.keras", "--json", *images)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("nnviz: note: the last layer 'dense") and "(logits)" in proc.stderr
    assert not any(row["preprocessed"] for row in rows)
    np.testing.assert_allclose([row["probabilities"] for row in rows], keras_probabilities, atol=1e-5, rtol=0)
    assert [row["digit"] for row in rows] == list(keras_probabilities.argmax(axis=1))

    # Its weights file alone: the activation must be said.
    proc, _ = _predict_json("--weights", tmp_path / "quickstart.weights.h5", images[0])
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("nnviz: error: Could not read weights from quickstart.weights.h5: a Keras weights "
                                  "file stores no activations and nnviz never guesses them; give the hidden "
                                  "layers' activation with --activation")
    proc, rows = _predict_json("--weights", tmp_path / "quickstart.weights.h5", "--activation", "relu", "--json",
                               *images)
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose([row["probabilities"] for row in rows], keras_probabilities, atol=1e-5, rtol=0)
