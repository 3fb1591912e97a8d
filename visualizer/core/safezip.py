"""Open untrusted zip archives (.npz, .keras) only after cheap checks: few members, plainly stored, sane .npy headers.

:mod:`zipfile` itself is pure Python and safe to run on hostile input once what it builds is
bounded: the central directory it parses into objects (checked from the end record before it
is read), the members it inflates (callers read with a size limit) and the compression methods
it knows (others raise ``NotImplementedError`` deep inside a read). numpy's ``.npy`` header
states a shape that ``np.load`` allocates before reading; it is checked against what a
supported network can hold first.
"""

from __future__ import annotations

import math
import zipfile
from typing import BinaryIO

import numpy as np

from visualizer.core.errors import WeightsError
from visualizer.core.safeio import format_bytes

__all__ = ["check_npy_members", "open_zip"]

_END = b"PK\x05\x06"
_END_SIZE = 22
_ENTRY_BYTES = 512  # a central directory entry: 46 bytes, a short name and a zip64 extra field
_READABLE = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


def _directory_size(f: BinaryIO) -> tuple[int, int] | None:
    """(entries, bytes) of the central directory the end record announces; None when there is none."""
    size = f.seek(0, 2)
    tail = min(size, _END_SIZE + 0xFFFF)  # the record sits before a comment of at most 64 KiB
    f.seek(size - tail)
    data = f.read(tail)
    at = data.rfind(_END)
    if at < 0 or len(data) - at < _END_SIZE:
        return None
    entries = int.from_bytes(data[at + 10 : at + 12], "little")
    directory = int.from_bytes(data[at + 12 : at + 16], "little")
    return entries, directory


def open_zip(f: BinaryIO, max_members: int) -> zipfile.ZipFile:
    """A :class:`zipfile.ZipFile` over ``f`` whose members are all plain stored or deflated files.

    Raises WeightsError (one sentence, no file name) for an archive with more than
    ``max_members`` members (or the zip64 format, which only archives far larger than any
    weights file need), an encrypted member or a compression method other than stored and
    deflated; ``zipfile.BadZipFile`` when ``f`` is not a zip archive at all.
    """
    announced = _directory_size(f)
    if announced is not None:
        entries, directory = announced
        if entries == 0xFFFF or directory == 0xFFFFFFFF:
            raise WeightsError("it is a zip64 archive, a format meant for archives larger than any weights file")
        if entries > max_members or directory > max_members * _ENTRY_BYTES:
            raise WeightsError(f"the archive lists {entries:,} members; a weights file has at most {max_members}")
    f.seek(0)
    archive = zipfile.ZipFile(f)
    try:
        members = archive.infolist()
        if len(members) > max_members:
            raise WeightsError(f"the archive holds {len(members):,} members; a weights file has at most {max_members}")
        for info in members:
            if info.flag_bits & 0x1:
                raise WeightsError(f"its member {info.filename!r} is encrypted")
            if info.compress_type not in _READABLE:
                raise WeightsError(
                    f"its member {info.filename!r} uses zip compression method {info.compress_type}; "
                    "only stored and deflated members can be read"
                )
    except BaseException:
        archive.close()
        raise
    return archive


def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise WeightsError(f"array {info.filename!r} is in .npy format {version[0]}.{version[1]}, which is not read")
    return shape, dtype


def check_npy_members(archive: zipfile.ZipFile, max_values: int) -> None:
    """Raise WeightsError unless every member is a ``.npy`` array whose header states at most ``max_values``.

    Reads only the headers (``np.load`` allocates the stated shape before reading any data, so a
    header claiming terabytes would otherwise end in a MemoryError). Python-object arrays are
    refused here too; ``allow_pickle=False`` would refuse them anyway. Any other member is
    refused: ``np.load`` would hand it over as raw bytes.
    """
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise WeightsError(f"its member {info.filename!r} is not a .npy array")
        try:
            shape, dtype = _npy_header(archive, info)
        except WeightsError:
            raise
        except Exception as exc:  # numpy tokenizes and evaluates the header: TokenError, SyntaxError...
            raise WeightsError(f"array {info.filename!r} has a damaged header ({type(exc).__name__}: {exc})") from None
        if dtype.hasobject:
            raise WeightsError("it contains Python objects, which are never loaded")
        count = math.prod(shape)
        if count > max_values:
            raise WeightsError(
                f"array {info.filename!r} claims shape {shape} ({format_bytes(count * dtype.itemsize)}), "
                "more than any supported network holds"
            )
