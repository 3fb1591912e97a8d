"""Reader for Keras-style ``mnist.npz`` archives (x_train, y_train, x_test, y_test), no pickles."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.data.dataset import check_labels, images_to_float
from visualizer.data.idx import MAX_UNPACKED_BYTES

REQUIRED_KEYS = ("x_train", "y_train")
TEST_KEYS = ("x_test", "y_test")


def _read_member(archive, key: str, name: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise DataError(
                f"{name}: {key} holds Python objects (pickled data is not loaded for safety); "
                "expected a numeric array"
            ) from exc
        raise DataError(f"{name}: {key} cannot be read ({exc})") from exc
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as exc:
        raise DataError(f"{name}: {key} is corrupt or truncated ({exc})") from exc


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
        Unreadable or empty file, not an npz archive, missing keys, object arrays, wrong dtype or shape.
    """
    name = path.name
    try:
        if path.stat().st_size == 0:
            raise DataError(f"{name}: the file is empty")
        # Open the file ourselves: np.load leaks its handle when the zip directory is damaged.
        with path.open("rb") as fh:
            archive = np.load(fh, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise DataError(
                    f"{name}: holds a single array, expected an .npz archive with x_train, "
                    "y_train, x_test, y_test"
                )
            with archive:
                return _read_splits(archive, name)
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(f"{name}: not an .npz archive (it looks like pickled or unknown data)") from exc
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(f"{name}: cannot read the archive ({exc})") from exc


def _read_splits(archive, name: str):
    unpacked = sum(info.file_size for info in archive.zip.infolist())  # sizes from the zip directory
    if unpacked > MAX_UNPACKED_BYTES:
        raise DataError(f"{name}: unpacks to more than {MAX_UNPACKED_BYTES >> 20:,} MB; that is not an MNIST file")
    keys = set(archive.files)
    missing = [k for k in REQUIRED_KEYS if k not in keys]
    if missing:
        found = ", ".join(sorted(keys)) or "nothing"
        raise DataError(
            f"{name}: missing {', '.join(missing)} (found {found}); expected the keys "
            "x_train, y_train, x_test, y_test"
        )
    has_test = [k in keys for k in TEST_KEYS]
    if any(has_test) and not all(has_test):
        present, absent = TEST_KEYS if has_test[0] else TEST_KEYS[::-1]
        raise DataError(f"{name}: has {present} but not {absent}")
    splits = []
    for xk, yk in (REQUIRED_KEYS, TEST_KEYS) if all(has_test) else (REQUIRED_KEYS,):
        x = images_to_float(_read_member(archive, xk, name), f"{name} ({xk})")
        y = check_labels(_read_member(archive, yk, name), f"{name} ({yk})", count=len(x))
        splits.append((x, y))
    return splits[0], (splits[1] if len(splits) > 1 else None)
