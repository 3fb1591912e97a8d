"""Reader for Keras-style ``mnist.npz`` archives (x_train, y_train, x_test, y_test), no pickles.

The archive is read with :mod:`zipfile` and each array's ``.npy`` header is checked (no Python
objects, a shape the member really holds and that fits in memory) before its data is read.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from visualizer.core.errors import DataError
from visualizer.core.safeio import check_allocation, one_line
from visualizer.data.dataset import check_labels, check_pixels_fit, display_name, images_to_float
from visualizer.data.files import MAX_UNPACKED_BYTES, open_data_file

REQUIRED_KEYS = ("x_train", "y_train")
TEST_KEYS = ("x_test", "y_test")
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or an empty archive
SUPPORTED_COMPRESSION = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
# zipfile builds an object of about 500 bytes per 46-byte directory entry; an archive of four
# arrays has a directory of a few hundred bytes.
MAX_DIRECTORY_BYTES = 1 << 20
_READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)


def load_npz(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Load a Keras-style MNIST archive.

    Parameters
    ----------
    path : Path
        An ``.npz`` file with ``x_train`` and ``y_train`` (required) and ``x_test`` and
        ``y_test`` (optional, both or neither). Images are (n, 28, 28) or (n, 784).

    Returns
    -------
    train : (x, y)
    test : (x, y) or None when the archive has no test arrays.

    Raises
    ------
    DataError
        Not a regular file, empty, not an npz archive, missing keys, object arrays, unsupported
        compression, sizes that do not fit in memory, wrong dtype or shape.
    """
    name = display_name(path)
    with open_data_file(path) as fh:
        try:
            start = fh.read(len(NPY_MAGIC))
            if not start:
                raise DataError(f"{name}: the file is empty")
            if start.startswith(NPY_MAGIC):
                raise DataError(
                    f"{name}: holds a single array, expected an .npz archive with x_train, "
                    "y_train, x_test, y_test"
                )
            if not start.startswith(ZIP_MAGICS):
                raise DataError(f"{name}: not an .npz archive (it looks like pickled or unknown data)")
            _check_directory_size(fh, name)
            with zipfile.ZipFile(fh) as archive:
                return _read_splits(archive, name)
        except DataError:
            raise
        except _READ_ERRORS as exc:
            raise DataError(
                f"{name}: cannot read the archive ({one_line(exc) or type(exc).__name__})"
            ) from exc


def _check_directory_size(fh: BinaryIO, name: str) -> None:
    """Refuse an archive whose central directory (which zipfile loads whole) is oversized."""
    size = fh.seek(0, 2)
    tail_start = max(0, size - (22 + 0xFFFF))  # end record plus the longest comment
    fh.seek(tail_start)
    tail = fh.read()
    fh.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return  # no end record: zipfile reports the archive as damaged
    directory = int.from_bytes(tail[at + 12 : at + 16], "little")
    if directory == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        fh.seek(int.from_bytes(tail[at - 12 : at - 4], "little"))  # the zip64 end record
        record = fh.read(56)
        fh.seek(0)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            directory = int.from_bytes(record[40:48], "little")
    if min(directory, size) > MAX_DIRECTORY_BYTES:
        raise DataError(
            f"{name}: the archive's directory alone is {min(directory, size):,} bytes; "
            "a dataset archive holds a few arrays"
        )


def _members(archive: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    """Map keys (member names without .npy, as np.load names them) to their zip entries."""
    infos = archive.infolist()
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:  # sizes from the zip directory
        raise DataError(
            f"{name}: unpacks to more than {MAX_UNPACKED_BYTES >> 20:,} MB; that is not an MNIST file"
        )
    return {info.filename.removesuffix(".npy"): info for info in infos}


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, name: str, images: bool
) -> np.ndarray:
    """One array, after checking its compression and its .npy header against the archive and memory."""
    if info.compress_type not in SUPPORTED_COMPRESSION:
        raise DataError(
            f"{name}: {key} uses zip compression method {info.compress_type}, which cannot be read "
            f"(supported: {', '.join(SUPPORTED_COMPRESSION.values())})"
        )
    if info.flag_bits & 0x1:
        raise DataError(f"{name}: {key} is encrypted; a dataset archive must not need a password")
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(member)
            header = member.tell()
        if dtype.hasobject:
            raise DataError(
                f"{name}: {key} holds Python objects (pickled data is not loaded for safety); "
                "expected a numeric array"
            )
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if any(d < 0 for d in shape) or nbytes > info.file_size - header:
            raise DataError(
                f"{name}: {key} is damaged: its header announces shape {shape} ({nbytes:,} bytes) "
                f"but the archive holds {max(info.file_size - header, 0):,} bytes for it"
            )
        if images:
            check_pixels_fit(count, dtype.itemsize, f"{name}: {key} {shape}")
        else:
            check_allocation(nbytes, f"{name}: {key} {shape}", DataError)
        with archive.open(info) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except DataError:
        raise
    except _READ_ERRORS as exc:
        raise DataError(
            f"{name}: {key} is corrupt or truncated ({one_line(exc) or type(exc).__name__})"
        ) from exc


def _read_splits(archive: zipfile.ZipFile, name: str):
    members = _members(archive, name)
    missing = [k for k in REQUIRED_KEYS if k not in members]
    if missing:
        found = ", ".join(sorted(one_line(k) for k in members)) or "nothing"
        raise DataError(
            f"{name}: missing {', '.join(missing)} (found {found}); expected the keys "
            "x_train, y_train, x_test, y_test"
        )
    has_test = [k in members for k in TEST_KEYS]
    if any(has_test) and not all(has_test):
        present, absent = TEST_KEYS if has_test[0] else TEST_KEYS[::-1]
        raise DataError(f"{name}: has {present} but not {absent}")
    splits = []
    for xk, yk in (REQUIRED_KEYS, TEST_KEYS) if all(has_test) else (REQUIRED_KEYS,):
        x = images_to_float(_read_member(archive, members[xk], xk, name, images=True), f"{name} ({xk})")
        y = check_labels(
            _read_member(archive, members[yk], yk, name, images=False), f"{name} ({yk})", count=len(x)
        )
        splits.append((x, y))
    return splits[0], (splits[1] if len(splits) > 1 else None)
