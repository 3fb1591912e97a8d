"""The numpy-only .npz / .json files: exact round trips with one activation per layer, clear refusals."""

import io
import json
import zipfile
from itertools import pairwise

import numpy as np
import pytest

from visualizer.core import safeio
from visualizer.core import weights_format as wf
from visualizer.core.errors import WeightsError
from visualizer.core.network import Network
from visualizer.core.snapshot import TrainingSnapshot, snapshot_from_arrays
from visualizer.core.weights_format import (
    detect_format,
    load_json,
    load_npz,
    save_json,
    save_npz,
)

ARCHITECTURES = [((16, 16), "relu"), ((32,), "tanh"), ((8, 8, 8), "sigmoid")]


def random_net(hidden=(16, 16), activation="relu", seed=0, output=None) -> Network:
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 1 if output == "sigmoid" else 10)
    w = [rng.standard_normal((a, b)).astype(np.float32) * 0.3 for a, b in pairwise(sizes)]
    b = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in sizes[1:]]
    return Network.from_arrays(w, b, activation, output=output)


def predictions(net, n=64):
    x = np.random.default_rng(1).random((n, 784), dtype=np.float32)
    return net.forward(x)[-1]


def assert_same_network(a: Network, b: Network):
    assert a.layer_sizes == b.layer_sizes and a.activations == b.activations
    for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        assert x.dtype == y.dtype == np.float32
        assert np.array_equal(x, y)
    assert np.array_equal(predictions(a), predictions(b))


# ------------------------------------------------------------------------ networks and snapshots


def test_snapshot_round_trip_shares_read_only_arrays():
    net = random_net()
    snap = TrainingSnapshot.of_network(net, step=7)
    assert snap.step == 7 and snap.layer_sizes == (784, 16, 16, 10)
    assert_same_network(net, snap.network)
    with pytest.raises(ValueError):  # immutable values: nobody can change what another holds
        snap.weights[0][0, 0] = 123.0
    assert snap.network.hidden == (16, 16)


def test_float64_input_becomes_float32(tmp_path):
    net = random_net()
    doc = wf.to_json_dict(net)
    again = wf.from_json_dict(doc)
    assert all(w.dtype == np.float32 for w in again.weights)
    assert_same_network(net, again)


@pytest.mark.parametrize(
    "name, kind",
    [
        ("a.keras", "keras"),
        ("A.KERAS", "keras"),
        ("m.weights.h5", "weights.h5"),
        ("M.Weights.H5", "weights.h5"),
        ("plain.h5", "h5"),
        ("x.npz", "npz"),
        ("x.JSON", "json"),
        ("phone.tflite", "tflite"),
    ],
)
def test_detect_format(name, kind):
    assert detect_format(name) == kind


@pytest.mark.parametrize("name", ["model.pt", "weights.txt", "noext", ".keras", "a.keras.bak"])
def test_detect_format_refuses_unknown_extensions(name):
    with pytest.raises(WeightsError, match="unsupported file type"):
        detect_format(name)


# ---------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("hidden, activation", ARCHITECTURES)
@pytest.mark.parametrize("save, load, ext", [(save_npz, load_npz, "npz"), (save_json, load_json, "json")])
def test_round_trip_is_exact(tmp_path, hidden, activation, save, load, ext):
    net = random_net(hidden, activation)
    path = tmp_path / f"net.{ext}"
    save(net, path)
    assert_same_network(net, load(path))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_json_is_readable_document(tmp_path):
    net = random_net((4,), "tanh")
    save_json(net, tmp_path / "w.json")
    doc = json.loads((tmp_path / "w.json").read_text())
    assert doc["format"] == "nnviz-weights" and doc["version"] == 1
    assert doc["layer_sizes"] == [784, 4, 10] and doc["activation"] == "tanh"
    assert doc["activations"] == ["tanh", "softmax"]
    assert len(doc["layers"][0]["W"]) == 784 and len(doc["layers"][0]["W"][0]) == 4
    assert len(doc["layers"][1]["b"]) == 10
    # What a reader in another language needs to feed it and read its answer.
    assert doc["input"]["shape"] == [28, 28] and doc["input"]["order"] == "row-major"
    assert doc["input"]["range"] == [0, 1] and doc["input"]["ink"] == 1 and doc["input"]["background"] == 0
    assert doc["output"]["activation"] == "softmax" and "softmax" in doc["output"]["about"]


def test_npz_holds_plain_arrays_only(tmp_path):
    save_npz(random_net(), tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["W1", "W2", "W3", "activation", "activations", "b1", "b2", "b3", "format_version"]
        assert str(f["activation"]) == "relu" and int(f["format_version"]) == 1
        assert list(f["activations"]) == ["relu", "relu", "softmax"]


MIXED = [((8, 5), ("relu", "tanh"), None), ((6,), "linear", None), ((), (), None), ((4,), "relu", "sigmoid")]


@pytest.mark.parametrize("hidden, activation, output", MIXED)
@pytest.mark.parametrize("save, load", [(save_npz, load_npz), (save_json, load_json)])
def test_per_layer_activations_round_trip(tmp_path, hidden, activation, output, save, load):
    net = random_net(hidden, activation, output=output)
    path = save(net, tmp_path / f"net.{'npz' if save is save_npz else 'json'}")
    back = load(path)
    assert_same_network(net, back)
    # Only a uniform relu/sigmoid/tanh network with a softmax output has the old single field.
    fields = json.loads(path.read_text()) if save is save_json else dict(np.load(path, allow_pickle=False))
    assert "activation" not in fields


@pytest.mark.parametrize("save, load", [(save_npz, load_npz), (save_json, load_json)])
def test_files_of_the_first_version_still_load(tmp_path, save, load):
    net = random_net((5,), "sigmoid")
    if save is save_json:
        doc = wf.to_json_dict(net)
        for key in ("activations", "input", "output"):
            del doc[key]
        path = _write_json(tmp_path / "old.json", doc)
    else:
        arrays = _good_arrays(net)
        arrays["activation"] = np.array("sigmoid")
        path = _npz(tmp_path / "old.npz", **arrays)
    assert_same_network(net, load(path))


def test_json_ignores_fields_it_does_not_know(tmp_path):
    doc = _set(_doc(), ("description",), "my first network, trained on my own digits")
    doc["trained_by"] = {"tool": "some script", "epochs": [1, 2, 3]}
    assert load_json(_write_json(tmp_path / "extra.json", doc)).layer_sizes == (784, 3, 10)


def test_failing_save_keeps_existing_file(tmp_path, monkeypatch):
    target = tmp_path / "w.npz"
    save_npz(random_net(seed=1), target)
    before = target.read_bytes()

    def crash(f, **arrays):
        f.write(b"PK partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wf.np, "savez", crash)
    with pytest.raises(OSError):
        save_npz(random_net(seed=2), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]


# ---------------------------------------------------------------------------- corrupt .npz


def _npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def _good_arrays(net=None):
    net = net or random_net((4,))
    return {
        "W1": net.weights[0],
        "b1": net.biases[0],
        "W2": net.weights[1],
        "b2": net.biases[1],
        "activation": np.array("relu"),
        "format_version": np.array(1),
    }


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda a: a.pop("b2"), "missing b2"),
        (lambda a: a.pop("activation"), "missing activation"),
        (lambda a: a.update(extra=np.zeros(3)), "unexpected extra"),
        (lambda a: a.update(W2=np.zeros((5, 10), np.float32)), "shape"),
        (lambda a: a.update(b1=np.full(4, np.nan, np.float32)), "NaN"),
        (lambda a: a.update(W1=np.ones((784, 4), np.int64)), "floating"),
        (lambda a: a.update(activation=np.array(["relu", "relu"])), "activation"),
        (lambda a: a.update(activation=np.array(b"relu")), "activation"),
        (lambda a: a.update(activation=np.array("softplus")), "softplus"),
        (lambda a: a.update(format_version=np.array(2)), "version 2"),
        (lambda a: a.update(activations=np.array(["relu", "softmax"]).reshape(1, 2)), "list of names"),
        (lambda a: a.update(activations=np.array(["relu", "relu", "softmax"])), "3 activations for 2 layers"),
        (lambda a: a.update(activations=np.array(["tanh", "softmax"])), "disagrees"),
        # 32-bit values beyond Unicode: numpy makes a str of them that breaks wherever it is printed
        (lambda a: a.update(activations=np.frombuffer(np.array([0x7FFFFFFF, 0x41], "<u4").tobytes(), "<U1")),
         "'activations' holds values that are not text"),
        (lambda a: a.update(activation=np.frombuffer(np.array([0xD800], "<u4").tobytes(), "<U1").reshape(())),
         "'activation' holds values that are not text"),
    ],
)
def test_npz_refuses_bad_contents(tmp_path, change, match):
    arrays = _good_arrays()
    change(arrays)
    path = _npz(tmp_path / "bad.npz", **arrays)
    with pytest.raises(WeightsError, match=match) as err:
        load_npz(path)
    assert "bad.npz" in str(err.value)


def test_npz_never_unpickles_object_arrays(tmp_path):
    arrays = _good_arrays()
    arrays["W1"] = np.array([object()] * 3, dtype=object)
    path = _npz(tmp_path / "evil.npz", **arrays)  # np.savez pickles object arrays
    with pytest.raises(WeightsError, match="evil.npz.*Python objects"):
        load_npz(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00" * 100, bytes(np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8))],
)
def test_npz_refuses_garbage(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match="junk.npz"):
        load_npz(path)


def test_npz_refuses_truncated_archive_and_plain_npy(tmp_path):
    good = save_npz(random_net(), tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(WeightsError, match="cut.npz"):
        load_npz(tmp_path / "cut.npz")
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    (tmp_path / "single.npz").write_bytes(buf.getvalue())
    with pytest.raises(WeightsError, match="single.npz"):
        load_npz(tmp_path / "single.npz")


def test_npz_refuses_archive_claiming_huge_members(tmp_path, monkeypatch):
    path = _npz(tmp_path / "big.npz", **_good_arrays())
    monkeypatch.setattr(wf, "MAX_BINARY_BYTES", 1000)
    with pytest.raises(WeightsError, match="big.npz.*larger"):
        load_npz(path)


def test_npz_damaged_member(tmp_path):
    path = _npz(tmp_path / "crc.npz", **_good_arrays())
    data = bytearray(path.read_bytes())
    offset = data.find(b"\x93NUMPY", data.find(b"W1.npy")) + 200  # inside W1's values
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="crc.npz"):
        load_npz(path)


def test_missing_files_are_named(tmp_path):
    for load, name in ((load_npz, "gone.npz"), (load_json, "gone.json")):
        with pytest.raises(WeightsError, match=f"{name} does not exist"):
            load(tmp_path / name)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(WeightsError, match="dir.json.*not a regular file"):
        load_json(tmp_path / "dir.json")


# ---------------------------------------------------------------------------- corrupt .json


def _doc(net=None):
    return wf.to_json_dict(net or random_net((3,)))


def _write_json(path, doc_or_text):
    text = doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text)
    path.write_text(text, encoding="utf-8")
    return path


def _set(doc, keys, value):
    target = doc
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    "keys, value, match",
    [
        (("layers", 0, "W", 0, 1), "0.5", "only numbers"),
        (("layers", 0, "W", 0, 1), True, "only numbers"),
        (("layers", 0, "W", 0, 1), None, "only numbers"),
        (("layers", 0, "W", 0, 1), [0.1], "only numbers"),
        (("layers", 1, "b", 0), {"v": 1}, "only numbers"),
        (("layers", 0, "W"), [0.0] * 784, "every row"),  # flat instead of nested
        (("layers", 0, "W"), [[0.0] * 3] * 783, "784 rows"),
        (("layers", 1, "b"), [0.0] * 9, "10 numbers"),
        (("layers", 1), {"W": [], "b": [], "extra": 1}, "exactly"),
        (("layers",), [], "list of 2 layers"),
        (("layer_sizes",), [784, 3, 11], "10 units"),
        (("layer_sizes",), [784, 10**9, 10], "1024 units"),
        (("layer_sizes",), [784.0, 3, 10], "whole numbers"),
        (("activation",), 3, "activation"),
        (("activation",), "elu", "elu"),
        (("activations",), ["relu", "softmax", "relu"], "3 activations for 2 layers"),
        (("activations",), ["elu", "softmax"], "elu"),
        (("activations",), "relu", "list of names"),
        (("activations",), ["relu", "sigmoid"], "sigmoid output must be one unit"),
        (("format",), "something-else", "not an nnviz-weights"),
        (("version",), 2, "version 2"),
        (("version",), True, "version True"),
    ],
)
def test_json_refuses_wrong_types_and_nesting(tmp_path, keys, value, match):
    path = _write_json(tmp_path / "bad.json", _set(_doc(), keys, value))
    with pytest.raises(WeightsError, match=match) as err:
        load_json(path)
    assert str(err.value).startswith("Could not read weights from bad.json:")


@pytest.mark.parametrize(
    "token, match",
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("1e400", "NaN or infinite"),
        ("1e39", "NaN or infinite"),
    ],
)
def test_json_refuses_non_finite_values(tmp_path, token, match):
    text = json.dumps(_set(_doc(), ("layers", 0, "W", 5, 0), 12345.5)).replace("12345.5", token, 1)
    with pytest.raises(WeightsError, match=match):
        load_json(_write_json(tmp_path / "inf.json", text))


@pytest.mark.parametrize(
    "text, match",
    [
        ('{"format": "nnviz-weights", ', "not valid JSON"),
        ("[1, 2, 3]", "not an nnviz-weights"),
        ("[" * 100000 + "]" * 100000, "bad.json"),
        ('{"format": "nnviz-weights", "version": 1, "layer_sizes": [' + "9" * 5000 + "]}", "bad.json"),
    ],
)
def test_json_refuses_garbage_text(tmp_path, text, match):
    with pytest.raises(WeightsError, match=match):
        load_json(_write_json(tmp_path / "bad.json", text))


def test_json_refuses_binary_and_oversized_files(tmp_path, monkeypatch):
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(WeightsError, match="bin.json.*UTF-8"):
        load_json(tmp_path / "bin.json")
    path = save_json(random_net(), tmp_path / "big.json")
    monkeypatch.setattr(wf, "MAX_JSON_BYTES", 1000)
    with pytest.raises(WeightsError, match="big.json.*larger than any supported network"):
        load_json(path)


def test_integer_values_in_json_are_accepted(tmp_path):
    doc = _set(_doc(), ("layers", 0, "W", 0, 0), 2)
    net = load_json(_write_json(tmp_path / "int.json", doc))
    assert net.weights[0][0, 0] == 2.0


def test_npz_inside_zip_with_unexpected_name_is_refused(tmp_path):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not an array")
    with pytest.raises(WeightsError, match="odd.npz"):
        load_npz(path)


def test_snapshot_from_arrays_contract_is_respected():
    net = random_net((5,), "sigmoid")
    snap = snapshot_from_arrays(net.weights, net.biases, net.activation)
    assert np.array_equal(predictions(snap.network), predictions(net))


@pytest.mark.parametrize(
    "body, match",
    [
        ("[]," * 20000 + "[]", "20,002 lists"),  # 60 KB of [] would take 1.3 MB as Python lists
        ('{"a": 1},' * 20, "21 objects"),
        ("0," * 7_000_000 + "0", "7,000,001 commas"),  # 14 MB of zeros: 56 MB of list slots
    ],
)
def test_json_with_more_structure_than_any_network_is_refused_before_parsing(tmp_path, monkeypatch, body, match):
    path = _write_json(tmp_path / "bomb.json", '{"format": "nnviz-weights", "layers": [' + body + "]}")
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("parsed the whole document"))
    with pytest.raises(WeightsError, match=f"bomb.json: its structure .*{match}.* is larger than any supported network"):
        load_json(path)


def test_json_parse_must_fit_in_memory(tmp_path, monkeypatch):
    path = save_json(random_net((4,)), tmp_path / "w.json")
    monkeypatch.setattr(safeio, "allocation_limit", lambda: 100_000)
    with pytest.raises(WeightsError, match="w.json: parsing it would need .* of memory; this machine can spare"):
        load_json(path)
