"""One entry point for every dataset source: Keras MNIST, a local IDX/npz/CSV path, synthetic."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from visualizer.core.config import DATA_ENV_VAR
from visualizer.core.errors import DataError
from visualizer.core.safeio import one_line
from visualizer.data.csv import load_csv_files
from visualizer.data.dataset import Dataset, build_dataset, display_name
from visualizer.data.idx import IDX_NAME, find_idx_files, load_idx_folder
from visualizer.data.keras_mnist import load_keras_mnist
from visualizer.data.npz import load_npz
from visualizer.data.synthetic import synthetic_dataset

ENV_VAR = DATA_ENV_VAR
SYNTHETIC = "synthetic"
# (training file, labelled test file or None); Kaggle's test.csv has no labels and is never read.
CSV_LAYOUTS = (("mnist_train.csv", "mnist_test.csv"), ("train.csv", None))
LOOKED_FOR = (
    "IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...), "
    "mnist.npz (or another .npz with x_train, y_train, x_test, y_test), "
    "Kaggle train.csv, or mnist_train.csv/mnist_test.csv"
)


def load_dataset(
    spec: str | os.PathLike | None = None, *, validation_split: float = 0.1, seed: int = 0
) -> Dataset:
    """Load the digits named by ``spec``.

    Parameters
    ----------
    spec : str, path or None
        None: the folder or file in ``$NNVIZ_DATA`` if set, else MNIST through Keras'
        downloader. ``"synthetic"``: the built-in synthetic digits. An empty or blank string
        is refused. Anything else: a local file or folder holding MNIST as IDX, npz or CSV
        (detected automatically).
    validation_split : float
        Fraction of the training images held out as the test set when the source has none.
    seed : int
        Seed for that hold-out shuffle and for the synthetic digits.

    Raises
    ------
    DataError
        With one sentence naming the file and the problem.
    """
    if spec is None:
        spec = os.environ.get(ENV_VAR, "").strip() or None  # set but blank counts as unset
        if spec is None:
            return load_keras_mnist()
    if not str(spec).strip():  # '' or spaces from a script's empty variable: never guess a source
        raise DataError(
            "no dataset named (the path is empty): give a folder or file with MNIST "
            "(IDX, .npz or CSV), or 'synthetic'"
        )
    if str(spec).strip().lower() == SYNTHETIC:
        return synthetic_dataset(seed=seed)
    return load_path(Path(os.fspath(spec)).expanduser(), validation_split=validation_split, seed=seed)


def load_dataset_or_synthetic(
    spec: str | os.PathLike | None = None, *, validation_split: float = 0.1, seed: int = 0
) -> tuple[Dataset, str | None]:
    """Like :func:`load_dataset`, but the default source falls back to synthetic digits.

    Only when ``spec`` is None and ``$NNVIZ_DATA`` is unset (or blank), and Keras' MNIST cannot be
    loaded, the synthetic set is returned together with the reason as a warning. Explicit
    sources never fall back: they raise ``DataError``.

    Returns
    -------
    dataset : Dataset
    warning : str or None
        Why synthetic digits stand in for MNIST, or None when nothing was substituted.
    """
    if spec is not None or os.environ.get(ENV_VAR, "").strip():
        return load_dataset(spec, validation_split=validation_split, seed=seed), None
    try:
        return load_keras_mnist(), None
    except DataError as exc:
        warning = str(exc)
    ds = synthetic_dataset(seed=seed)
    fallback = Dataset(
        ds.x_train,
        ds.y_train,
        ds.x_test,
        ds.y_test,
        source="synthetic digits (generated: MNIST unavailable)",
        kind="synthetic",
        note="MNIST could not be loaded, so procedurally drawn digits stand in",
    )
    return fallback, warning


def load_path(path: Path, *, validation_split: float = 0.1, seed: int = 0) -> Dataset:
    """Detect the format of a file or folder and load it (see :func:`load_dataset`)."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"{display_name(path)}: no such file or folder") from None
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a loop of links, no permission
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable path"
        raise DataError(f"{display_name(path)}: {one_line(reason)}") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):  # /dev/null, a pipe: never scan its folder instead
        raise DataError(f"{display_name(path)}: not a regular file or folder")
    folder = path if stat.S_ISDIR(mode) else path.parent
    where = f"{display_name(folder)}/"
    try:
        entries = {p.name.lower(): p for p in folder.iterdir()}
    except OSError as exc:
        raise DataError(f"cannot list the folder {where}: {one_line(exc.strerror or exc)}") from exc
    kwargs = dict(validation_split=validation_split, seed=seed)

    if stat.S_ISREG(mode):
        name = path.name.lower()
        if IDX_NAME.match(path.name):
            return _idx(folder, where, **kwargs)
        if name.endswith(".npz"):
            return _npz(path, **kwargs)
        if name.endswith((".csv", ".csv.gz")):
            return _csv_file(path, entries, **kwargs)
        raise DataError(f"{display_name(path)}: not a recognised dataset file (expected {LOOKED_FOR})")

    if find_idx_files(folder):
        return _idx(folder, where, **kwargs)
    if "mnist.npz" in entries:
        return _npz(entries["mnist.npz"], **kwargs)
    for train, test in CSV_LAYOUTS:
        if train in entries:
            return _csv(entries[train], entries.get(test) if test else None, where, **kwargs)
    npz = sorted(p for n, p in entries.items() if n.endswith(".npz"))
    if len(npz) == 1:
        return _npz(npz[0], **kwargs)
    if "test.csv" in entries or "mnist_test.csv" in entries:
        raise DataError(
            f"{where}: found only a test file; a training file is needed as well "
            "(train.csv or mnist_train.csv)"
        )
    raise DataError(f"{where}: nothing recognisable; looked for {LOOKED_FOR}")


def _idx(folder: Path, where: str, **kwargs) -> Dataset:
    train, test = load_idx_folder(folder)
    return build_dataset(train, test, source=f"MNIST (IDX files in {where})", kind="idx", **kwargs)


def _npz(path: Path, **kwargs) -> Dataset:
    train, test = load_npz(path)
    return build_dataset(train, test, source=f"MNIST ({display_name(path)})", kind="npz", **kwargs)


def _csv_file(path: Path, entries: dict[str, Path], **kwargs) -> Dataset:
    """A CSV named directly; known names bring their partner (mnist_test.csv, test.csv -> train.csv)."""
    name = path.name.lower()
    where = f"{display_name(path.parent)}/"
    if name in ("mnist_train.csv", "mnist_test.csv"):
        if "mnist_train.csv" not in entries:
            raise DataError(
                f"{display_name(path)}: mnist_train.csv is missing beside it; a training file is needed"
            )
        return _csv(entries["mnist_train.csv"], entries.get("mnist_test.csv"), where, **kwargs)
    if name == "test.csv":
        if "train.csv" not in entries:
            raise DataError(
                f"{display_name(path)}: Kaggle's test.csv has no labels and train.csv is missing beside it"
            )
        return _csv(entries["train.csv"], None, where, **kwargs)
    train, test = load_csv_files(path, None)
    return build_dataset(train, test, source=f"MNIST ({display_name(path)})", kind="csv", **kwargs)


def _csv(train_path: Path, test_path: Path | None, where: str, **kwargs) -> Dataset:
    train, test = load_csv_files(train_path, test_path)
    names = display_name(train_path) + (f" + {display_name(test_path)}" if test_path else "")
    return build_dataset(train, test, source=f"MNIST ({names} in {where})", kind="csv", **kwargs)
