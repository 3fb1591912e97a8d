"""Export/import of every format: identical predictions after a round trip, hostile files refused safely."""

import json
import warnings
import zipfile

import h5py
import keras
import numpy as np
import pytest
from export_helpers import X, names, probs, random_net

from visualizer.core.config import TrainingConfig
from visualizer.core.errors import ActivationRequired, WeightsError
from visualizer.core.network import Network
from visualizer.core.snapshot import TrainingSnapshot
from visualizer.training import export as export_mod
from visualizer.training.export import export_weights, import_weights, keras_model_from
from visualizer.training.model import build_model, make_optimizer

ARCHITECTURES = [((16, 16), "relu"), ((32,), "tanh"), ((8, 8, 8), "sigmoid")]
EXACT_FORMATS = ["npz", "json", "keras", "weights.h5", "h5"]


@pytest.fixture(scope="module")
def trained_net() -> Network:
    """A network after one short epoch on tiny synthetic data (weights no longer at their init)."""
    config = TrainingConfig(hidden=(16, 16), epochs=1, batch_size=8)
    model = build_model(config)
    model.compile(optimizer=make_optimizer(config), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((40, 784), dtype=np.float32), rng.integers(0, 10, 40), epochs=1, verbose=0)
    w = model.get_weights()
    return Network.from_arrays(w[::2], w[1::2], config.activation)


def _only(folder, name):
    assert names(folder) == [name]


# ------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext", EXACT_FORMATS)
def test_trained_network_round_trips_exactly(tmp_path, trained_net, ext):
    path = export_weights(TrainingSnapshot.of_network(trained_net, step=5), tmp_path / f"trained.{ext}")
    back = import_weights(path)
    assert back.layer_sizes == (784, 16, 16, 10) and back.activation == "relu"
    assert np.array_equal(probs(back), probs(trained_net))
    _only(tmp_path, f"trained.{ext}")


@pytest.mark.parametrize("hidden, activation", ARCHITECTURES)
@pytest.mark.parametrize("ext", EXACT_FORMATS)
def test_architectures_round_trip_exactly(tmp_path, hidden, activation, ext):
    net = random_net(hidden, activation)
    path = export_weights(net, tmp_path / f"net.{ext.upper()}")
    back = import_weights(path)  # every file nnviz writes stores its activations
    assert back.activations == net.activations
    assert import_weights(path, activation=activation).activations == net.activations
    assert back.hidden == hidden and back.activation == activation
    for a, b in zip(back.weights + back.biases, net.weights + net.biases, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(probs(back), probs(net))


@pytest.mark.parametrize("ext", EXACT_FORMATS)
def test_mixed_activations_and_yes_no_networks_round_trip(tmp_path, ext):
    for net in (random_net((8, 5), ("relu", "tanh")), random_net((6,), "sigmoid", output="sigmoid"),
                random_net((), ())):
        back = import_weights(export_weights(net, tmp_path / f"net.{ext}"))
        assert back.activations == net.activations
        assert np.array_equal(probs(back), probs(net))


def test_a_tanh_run_weights_h5_keeps_its_activation_and_keras_still_reads_it(tmp_path):
    net = random_net((4,), "tanh")
    path = export_weights(net, tmp_path / "w.weights.h5")
    assert import_weights(path).activations == ("tanh", "softmax")
    with h5py.File(path) as f:
        assert json.loads(f.attrs["nnviz_activations"]) == ["tanh", "softmax"]
    model = keras_model_from(random_net((4,), "tanh", seed=9))
    model.load_weights(path)
    np.testing.assert_allclose(model.predict(X, verbose=0), probs(net), atol=1e-6)
    with pytest.raises(WeightsError, match="w.weights.h5: it stores the activations tanh, softmax; the activation "
                                           r"given \(relu\) differs"):
        import_weights(path, activation="relu")


def test_a_weights_file_without_activations_needs_them_said(tmp_path):
    net = random_net((4, 3), ("sigmoid", "tanh"))
    path = tmp_path / "foreign.weights.h5"
    keras_model_from(net).save_weights(path)  # plain Keras: no activations in the file
    with pytest.raises(ActivationRequired, match="^Could not read weights from foreign.weights.h5: a Keras weights "
                                                 "file stores no activations and nnviz never guesses them") as err:
        import_weights(path)
    assert err.value.path == str(path) and "tanh" in err.value.choices
    assert np.array_equal(probs(import_weights(path, activation=("sigmoid", "tanh"))), probs(net))
    with pytest.raises(WeightsError, match="1 activations were given for its 2 hidden layers"):
        import_weights(path, activation=["relu"])


def test_weights_h5_file_loads_into_keras(tmp_path):
    net = random_net((16, 16), "relu")
    path = export_weights(net, tmp_path / "w.weights.h5")
    model = keras_model_from(random_net((16, 16), "relu", seed=5))
    model.load_weights(path)
    np.testing.assert_allclose(model.predict(X, verbose=0), probs(net), atol=1e-6)


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_keras_model_files_load_compiled_in_keras(tmp_path, ext):
    net = random_net((8, 8, 8), "sigmoid")
    path = export_weights(net, tmp_path / f"full.{ext}")
    model = keras.saving.load_model(path)
    assert [layer.activation.__name__ for layer in model.layers] == ["sigmoid"] * 3 + ["softmax"]
    np.testing.assert_allclose(model.predict(X, verbose=0), probs(net), atol=1e-6)
    # Compiled with its loss and accuracy: a Keras user can evaluate it at once.
    labels = probs(net).argmax(axis=1)
    loss, accuracy = model.evaluate(X, labels, verbose=0)
    assert accuracy == 1.0
    assert loss == pytest.approx(-np.log(probs(net).max(axis=1)).mean(), rel=1e-4)


def test_plain_h5_is_what_keras_3_reads_for_that_name(tmp_path):
    net = random_net((16, 16), "relu")
    path = export_weights(net, tmp_path / "w.h5")
    model = keras_model_from(random_net((16, 16), "relu", seed=4))
    model.load_weights(path)  # Keras 3 reads a .h5 name as its legacy layout
    np.testing.assert_allclose(model.predict(X, verbose=0), probs(net), atol=1e-6)


def test_foreign_functional_keras_model_imports(tmp_path):
    inputs = keras.Input((784,), name="img")
    h = keras.layers.Dense(12, activation="tanh", name="first")(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.save(tmp_path / "functional.keras")
    net = import_weights(tmp_path / "functional.keras")
    assert net.layer_sizes == (784, 12, 10) and net.activation == "tanh"
    np.testing.assert_allclose(probs(net), model.predict(X, verbose=0), atol=1e-6)


def _tflite_predict(content: bytes, x: np.ndarray) -> np.ndarray:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        with warnings.catch_warnings():  # tf.lite.Interpreter warns that it moves to ai_edge_litert
            warnings.filterwarnings(
                "ignore", message=r"(?s).*tf.lite.Interpreter is deprecated", category=UserWarning
            )
            Interpreter = tf.lite.Interpreter
            interpreter = Interpreter(model_content=content)
    else:
        interpreter = Interpreter(model_content=content)
    inp = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(inp["index"], list(x.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize("hidden, activation", [((16, 16), "relu"), ((8, 8, 8), "sigmoid")])
def test_tflite_predicts_like_numpy(tmp_path, hidden, activation):
    net = random_net(hidden, activation)
    path = export_weights(net, tmp_path / "phone.tflite")
    _only(tmp_path, "phone.tflite")
    out = _tflite_predict(path.read_bytes(), X)
    assert out.shape == (len(X), 10)
    np.testing.assert_allclose(out, probs(net), atol=1e-5, rtol=0)
    with pytest.raises(WeightsError, match="phone.tflite.*export-only"):
        import_weights(path)


def test_import_returns_new_object_and_leaves_live_model_alone(tmp_path):
    live = keras_model_from(random_net(seed=1))
    before = [w.copy() for w in live.get_weights()]
    export_weights(random_net(seed=2), tmp_path / "other.keras")
    imported = import_weights(tmp_path / "other.keras")
    assert all(np.array_equal(a, b) for a, b in zip(live.get_weights(), before, strict=True))
    assert not np.array_equal(imported.weights[0], before[0])


# ------------------------------------------------------------------------------ failing export


@pytest.mark.parametrize(
    "ext, method", [("keras", "save"), ("weights.h5", "save_weights"), ("h5", "save")]
)
def test_failing_keras_export_keeps_old_file(tmp_path, monkeypatch, ext, method):
    target = export_weights(random_net(seed=1), tmp_path / f"keep.{ext}")
    before = target.read_bytes()

    def half_written(self, filepath, *args, **kwargs):
        filepath.write(b"PK\x03\x04 half a file")  # Keras writes into nnviz's buffer, not a file
        raise RuntimeError("simulated crash while writing")

    monkeypatch.setattr(keras.Model, method, half_written)
    with pytest.raises(WeightsError, match=f"Could not export to keep.{ext}.*simulated crash"):
        export_weights(random_net(seed=2), target)
    assert target.read_bytes() == before
    _only(tmp_path, f"keep.{ext}")
    assert import_weights(target) is not None


@pytest.mark.parametrize("ext", ["npz", "json", "tflite"])
def test_failing_export_of_other_formats_keeps_old_file(tmp_path, monkeypatch, ext):
    target = tmp_path / f"keep.{ext}"
    target.write_bytes(b"precious")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        export_mod, {"npz": "save_npz", "json": "save_json", "tflite": "_tflite_bytes"}[ext], crash
    )
    with pytest.raises(WeightsError, match=f"keep.{ext}: No space left"):
        export_weights(random_net(), target)
    assert target.read_bytes() == b"precious"
    _only(tmp_path, f"keep.{ext}")


def test_export_refuses_invalid_networks_and_unknown_extensions(tmp_path):
    net = random_net()
    weights = [np.array(w) for w in net.weights]
    weights[1][0, 0] = np.nan
    with pytest.raises(WeightsError, match="layer 2 contains NaN"):  # no such network can even exist
        Network.from_arrays(weights, net.biases, net.activation)
    with pytest.raises(WeightsError, match="model.pt: unsupported file type"):
        export_weights(net, tmp_path / "model.pt")
    with pytest.raises(WeightsError, match="expected a snapshot"):
        export_weights({"weights": []}, tmp_path / "x.npz")
    with pytest.raises(WeightsError, match="x.json"):
        export_weights(net, tmp_path / "missing-folder" / "x.json")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- hostile .keras


def _rewrite_keras(src, dst, change_config=None, drop=(), replace=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            if info.filename == "config.json" and change_config:
                config = json.loads(data)
                change_config(config)
                data = json.dumps(config).encode()
            if replace and info.filename in replace:
                data = replace[info.filename]
            zout.writestr(info.filename, data)
    return dst


@pytest.fixture
def good_keras(tmp_path):
    return export_weights(random_net((16, 16)), tmp_path / "good.keras")


@pytest.fixture
def deserialization_spy(monkeypatch):
    """Records any attempt to deserialize Keras objects or open HDF5 data."""
    calls = []

    def record(name):
        def spy(*args, **kwargs):
            calls.append(name)
            raise RuntimeError(f"{name} must not be called")

        return spy

    for owner, attr in [
        (keras.saving, "load_model"),
        (keras.saving, "deserialize_keras_object"),
        (keras.models, "model_from_json"),
        (h5py, "File"),
        (export_mod, "read_dense_layers"),  # the HDF5 reader in its child process
    ]:
        monkeypatch.setattr(owner, attr, record(attr))
    return calls


LAMBDA = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "registered_name": None,
    "config": {
        "name": "sneaky",
        "function": {
            "class_name": "__lambda__",
            "config": {
                "code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMEAAAAfABTACkBTqkAKQHaAXhyAQAAAHIBAAAA",
                "defaults": None,
                "closure": None,
            },
        },
        "output_shape": None,
    },
}
CONV = {
    "module": "keras.layers",
    "class_name": "Conv2D",
    "registered_name": None,
    "config": {"name": "conv", "filters": 4, "kernel_size": [3, 3]},
}


def _insert(layer):
    return lambda c: c["config"]["layers"].insert(2, layer)


def _set_dense(index, **changes):
    return lambda c: c["config"]["layers"][index]["config"].update(changes)


@pytest.mark.parametrize(
    "change, match",
    [
        (_insert(LAMBDA), "'Lambda' layer"),
        (_insert(CONV), "'Conv2D' layer"),
        (lambda c: c.update(class_name="MyModel"), "'MyModel'"),
        (
            lambda c: c["config"]["layers"][1].update(module="evil.layers", registered_name="evil>Dense"),
            "custom",
        ),
        (_set_dense(3, activation="relu"), "softmax"),
        (
            _set_dense(1, activation={"class_name": "function", "config": "os.system"}),
            "plain units/activation",
        ),
        (_set_dense(2, activation="elu"), "elu"),
        (_set_dense(2, use_bias=False), "no bias"),
        (lambda c: c["config"].update(layers="all of them"), "no list of layers"),
        (lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 28, 28]), "784 pixels in a row"),
        (lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 32, 32]), "784 pixels"),
        (lambda c: c["config"]["layers"].extend([c["config"]["layers"][1]] * 5), "1 to 7 Dense layers"),
    ],
)
def test_keras_config_is_checked_before_any_deserialization(
    tmp_path, good_keras, deserialization_spy, change, match
):
    bad = _rewrite_keras(good_keras, tmp_path / "bad.keras", change)
    with pytest.raises(WeightsError, match=match) as err:
        import_weights(bad)
    assert str(err.value).startswith("Could not read weights from bad.keras:")
    assert deserialization_spy == []


def test_functional_with_a_skip_connection_is_refused(tmp_path):
    inputs = keras.Input((784,))
    a = keras.layers.Dense(8, activation="relu")(inputs)
    b = keras.layers.Dense(8, activation="relu")(inputs)  # does not follow `a`
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Concatenate()([a, b]))
    keras.Model(inputs, out).save(tmp_path / "branchy.keras")
    with pytest.raises(WeightsError, match="branchy.keras"):
        import_weights(tmp_path / "branchy.keras")


def test_keras_weights_that_disagree_with_config_are_refused(tmp_path, good_keras):
    other = export_weights(random_net((8, 8)), tmp_path / "other.keras")
    with zipfile.ZipFile(other) as z:
        small = z.read("model.weights.h5")
    bad = _rewrite_keras(good_keras, tmp_path / "mixed.keras", replace={"model.weights.h5": small})
    with pytest.raises(WeightsError, match="mixed.keras.*16 units in the config but 8"):
        import_weights(bad)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda good, p: p.write_bytes(good.read_bytes()[:2000]), "not a zip"),
        (lambda good, p: p.write_bytes(np.random.default_rng(0).bytes(5000)), "not a zip"),
        (lambda good, p: p.write_bytes(b""), "not a zip"),
        (lambda good, p: _rewrite_keras(good, p, drop={"config.json"}), "no config.json"),
        (lambda good, p: _rewrite_keras(good, p, drop={"model.weights.h5"}), "no model.weights.h5"),
        (lambda good, p: _rewrite_keras(good, p, replace={"config.json": b"{nope"}), "not valid JSON"),
        (lambda good, p: _rewrite_keras(good, p, replace={"config.json": b"[]"}), "does not describe"),
        (
            lambda good, p: _rewrite_keras(good, p, replace={"model.weights.h5": b"\x89HDF garbage"}),
            "damaged",
        ),
    ],
)
def test_corrupt_keras_files(tmp_path, good_keras, make, match):
    path = tmp_path / "broken.keras"
    make(good_keras, path)
    with pytest.raises(WeightsError, match=f"broken.keras.*{match}"):
        import_weights(path)


# ------------------------------------------------------------------------- hostile .weights.h5


@pytest.fixture
def good_h5(tmp_path):
    return export_weights(random_net((16, 16)), tmp_path / "good.weights.h5")


def _edit_h5(src, dst, edit):
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        edit(f, dst)
    return dst


def _replace_dataset(name, value):
    def edit(f, _):
        del f[name]
        f[name] = value

    return edit


def _set_value(name, index, value):
    def edit(f, _):
        f[name][index] = value

    return edit


def _external_link(f, path):
    secret = path.with_name("elsewhere.h5")
    with h5py.File(secret, "w") as g:
        g["vars/0"] = np.zeros((784, 16), np.float32)
    del f["layers/dense"]
    f["layers/dense"] = h5py.ExternalLink(secret.name, "/")


@pytest.mark.parametrize(
    "edit, match",
    [
        (_set_value("layers/dense_1/vars/0", (0, 0), np.nan), "layer 2 contains NaN"),
        (_set_value("layers/dense/vars/1", 3, np.inf), "layer 1 contains NaN"),
        (_replace_dataset("layers/dense_1/vars/0", np.zeros((8, 16), np.float32)), "shape"),
        (_replace_dataset("layers/dense_1/vars/0", np.zeros((16, 16), np.int32)), "floating-point"),
        (_replace_dataset("layers/dense_1/vars/1", np.array([b"abc"] * 16)), "floating-point"),
        (_replace_dataset("layers/dense_1/vars/0", np.zeros((16, 16, 1), np.float32)), "2-D"),
        (lambda f, _: f["layers"].create_group("conv2d"), "'conv2d' layer"),
        (lambda f, _: f["layers/dense_1/vars"].__setitem__("2", np.zeros(3)), "plain Dense"),
        (lambda f, _: f["layers/dense_1/vars"].__delitem__("1"), "plain Dense"),
        (lambda f, _: f.move("layers/dense_2", "layers/dense_5"), "numbered Dense"),
        (
            lambda f, _: f["layers/dense_1/vars"].__setitem__("x", h5py.SoftLink("/layers/dense/vars/0")),
            "plain Dense",
        ),
        (_external_link, "link, which is never followed"),
        (lambda f, _: f.__delitem__("layers"), "no '/layers'"),
        (lambda f, _: f.attrs.__setitem__("model_config", "{}"), "legacy Keras 2"),
    ],
)
def test_hostile_weights_h5_files(tmp_path, good_h5, edit, match):
    bad = _edit_h5(good_h5, tmp_path / "bad.weights.h5", edit)
    with pytest.raises(WeightsError, match=match) as err:
        import_weights(bad)
    assert str(err.value).startswith("Could not read weights from bad.weights.h5:")


@pytest.mark.parametrize("content", [b"", b"not hdf5 at all", None])
def test_corrupt_weights_h5_files(tmp_path, good_h5, content):
    path = tmp_path / "corrupt.h5"
    path.write_bytes(good_h5.read_bytes()[:3000] if content is None else content)
    with pytest.raises(WeightsError, match="corrupt.h5.*damaged or unreadable"):
        import_weights(path)


# ----------------------------------------------------------------------------- general refusals


@pytest.mark.parametrize("name", ["gone.keras", "gone.weights.h5", "gone.h5", "gone.npz", "gone.json"])
def test_missing_files(tmp_path, name):
    with pytest.raises(WeightsError, match=f"{name} does not exist"):
        import_weights(tmp_path / name)


@pytest.mark.parametrize("name", ["model.pt", "model.onnx", "weights", "model.keras.zip"])
def test_unsupported_extensions(tmp_path, name):
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(WeightsError, match="unsupported file type"):
        import_weights(tmp_path / name)


def test_npz_and_json_import_never_touch_tensorflow(tmp_path, monkeypatch, deserialization_spy):
    net = random_net((4,), "sigmoid")
    monkeypatch.setattr(export_mod, "build_model_for", lambda *a, **k: pytest.fail("built a Keras model"))
    for ext in ("npz", "json"):
        path = export_weights(net, tmp_path / f"w.{ext}")
        assert np.array_equal(probs(import_weights(path)), probs(net))
    assert deserialization_spy == []
