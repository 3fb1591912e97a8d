"""Hostile .npz archives: lying .npy headers, odd compression, encryption, member floods; one line each."""

import io
import zipfile

import numpy as np
import pytest

from visualizer.core.errors import WeightsError
from visualizer.core.config import INPUT_SIZE
from visualizer.core.safezip import open_zip
from visualizer.core.network import Network
from visualizer.core.weights_format import load_npz, save_npz


def _good_npz(tmp_path):
    rng = np.random.default_rng(0)
    net = Network.from_arrays(
        [rng.standard_normal((INPUT_SIZE, 4)).astype(np.float32), np.zeros((4, 10), np.float32)],
        [np.zeros(4, np.float32), np.zeros(10, np.float32)],
    )
    return save_npz(net, tmp_path / "good.npz")


def _patch_first_member(data: bytes, local_offset: int, central_offset: int, value: int) -> bytes:
    """Set a 2-byte field of the first member in both its local and central headers."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        at = out.find(signature) + offset
        out[at : at + 2] = value.to_bytes(2, "little")
    return bytes(out)


def _refused(path, match):
    with pytest.raises(WeightsError, match=match) as err:
        load_npz(path)
    message = str(err.value)
    assert message.startswith(f"Could not read weights from {path.name}: ") and "\n" not in message


def test_npy_header_claiming_a_huge_shape_is_refused_before_allocating(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**7, 10**7)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(_good_npz(tmp_path)) as good, zipfile.ZipFile(path, "w") as bad:
        for info in good.infolist():
            bad.writestr(info.filename, header.getvalue() if info.filename == "W1.npy" else good.read(info))
    _refused(path, r"'W1.npy' claims shape \(10000000, 10000000\) .* more than any supported network")


def test_member_with_an_unknown_compression_method_is_refused(tmp_path):
    path = tmp_path / "method97.npz"
    path.write_bytes(_patch_first_member(_good_npz(tmp_path).read_bytes(), 8, 10, 97))
    _refused(path, "uses zip compression method 97; only stored and deflated members can be read")


def test_encrypted_member_is_refused(tmp_path):
    path = tmp_path / "locked.npz"
    path.write_bytes(_patch_first_member(_good_npz(tmp_path).read_bytes(), 6, 8, 1))
    _refused(path, "is encrypted")


def test_a_flood_of_members_is_refused_from_the_end_record(tmp_path, monkeypatch):
    path = tmp_path / "flood.npz"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(500):
            z.writestr(f"m{i}.npy", b"")
    built = []
    monkeypatch.setattr(zipfile.ZipFile, "__init__", lambda *a, **k: built.append(a) or pytest.fail("parsed"))
    _refused(path, "lists 500 members; a weights file has at most 18")
    assert built == []


def test_compressed_npz_is_still_read(tmp_path):
    good = _good_npz(tmp_path)
    with zipfile.ZipFile(good) as z:
        arrays = {i.filename[:-4]: np.load(io.BytesIO(z.read(i))) for i in z.infolist()}
    np.savez_compressed(tmp_path / "small.npz", **arrays)
    assert load_npz(tmp_path / "small.npz").layer_sizes == (784, 4, 10)


def test_open_zip_leaves_plain_archives_alone(tmp_path):
    with open(_good_npz(tmp_path), "rb") as f, open_zip(f, 16) as z:
        assert sorted(z.namelist()) == ["W1.npy", "W2.npy", "activation.npy", "activations.npy", "b1.npy", "b2.npy", "format_version.npy"]


@pytest.mark.parametrize("header", [b"{'descr': '<f4', 'shape': (3,", b"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} \x00\xff"])
def test_a_npy_header_numpy_cannot_tokenize_is_one_line(tmp_path, header):
    path = tmp_path / "header.npz"
    with zipfile.ZipFile(_good_npz(tmp_path)) as good, zipfile.ZipFile(path, "w") as bad:
        for info in good.infolist():
            data = good.read(info)
            if info.filename == "W1.npy":
                data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
            bad.writestr(info.filename, data)
    _refused(path, "'W1.npy' has a damaged header")


def test_a_member_that_is_not_npy_is_refused(tmp_path):
    path = tmp_path / "raw.npz"
    with zipfile.ZipFile(_good_npz(tmp_path)) as good, zipfile.ZipFile(path, "w") as bad:
        for info in good.infolist():  # np.load would give "format_version" back as bytes
            bad.writestr(info.filename.replace("format_version.npy", "format_version"), good.read(info))
    _refused(path, "its member 'format_version' is not a .npy array")
