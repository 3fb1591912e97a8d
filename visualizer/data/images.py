"""Read a raster image (PNG, JPEG, BMP, GIF, TIFF, WebP, PGM/PPM) as a 2-D float32 gray array in [0, 1].

Images come from users and the internet, so Pillow is held to plain raster decoders: a file is
only ever tried as one of :data:`FORMATS`, whatever its name. Pillow's other readers include
EPS, which hands the file to Ghostscript — a PostScript program that can write files or loop
forever — and nothing of that kind may run because someone dropped a ``.png`` on the pad.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError
from visualizer.core.safeio import check_allocation, one_line, open_regular_file

# Pillow's plugin ids, tried in this order; none of them runs an external program.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")
FORMAT_NAMES = "PNG, JPEG, BMP, GIF, TIFF, WebP or PGM/PPM"
FORMAT_LABELS = {"WEBP": "WebP", "PPM": "PGM/PPM"}
MAX_PIXELS = 50_000_000  # refuse absurd sizes before decoding (decompression bombs)
# Peak memory of decoding plus the grayscale conversion, per pixel (a 32-bit image read as
# float64, clipped, then cast to float32: 4 + 8 + 8 + 4 bytes).
_BYTES_PER_PIXEL = 24

# Pillow reports some damaged files through logging (e.g. TIFF "More samples per pixel than can
# be decoded"); with no handler configured, Python would print those records on stderr next to
# our own one-line error. The error we raise already says what is wrong.
logging.getLogger("PIL").addHandler(logging.NullHandler())


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Load an image as grayscale, 0 = black and 1 = white, whatever its mode.

    Transparent pixels are background: they are composited on black when the visible ink is
    light (white strokes from a dark-mode drawing app) and on white when it is dark, so either
    reads as ink on its background; palettes are expanded; 16-bit and 32-bit (I;16, I, F) images are scaled by
    their full range. Inverting dark-on-light drawings is left to ``core.preprocess``. Only
    the raster formats in :data:`FORMATS` are read, chosen by content, never by file name;
    PostScript, EPS, PDF and the like are refused without being interpreted. Pillow's
    warnings about damaged metadata are not shown: the pixels are what counts.

    Parameters
    ----------
    path : str or path
        A PNG, JPEG, BMP, GIF (first frame), TIFF, WebP or PGM/PPM file.

    Returns
    -------
    ndarray
        float32, shape (height, width), values in [0, 1].

    Raises
    ------
    DataError
        One line, "cannot read image NAME: reason", for missing files, folders, FIFOs and
        devices (refused without blocking), unsupported formats, corrupt or empty images,
        images over :data:`MAX_PIXELS` pixels or too big for the free memory, and float
        images with NaN or infinite pixels.
    """
    try:
        return _load(path)
    except DataError as exc:  # a file name may hold newlines: keep the message on one line
        raise DataError(one_line(str(exc))) from exc.__cause__


def _load(path: str | os.PathLike) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    what = f"cannot read image {Path(path).name}"
    try:
        # An opened regular file, not the path: a FIFO would block Pillow's open() forever.
        with open_regular_file(path, "cannot read image", DataError) as f, warnings.catch_warnings():
            # Pillow warns about bad EXIF/TIFF tags and about large images; the size is checked
            # just below with a limit of our own, and metadata does not matter here.
            warnings.simplefilter("ignore")
            try:
                img = Image.open(f, formats=FORMATS)
            except UnidentifiedImageError as exc:
                raise DataError(f"{what}: {_why_unidentified(f)}") from exc
            with img:
                _check_size(img.width, img.height, what)
                img.load()
                return _to_gray(img)
    except DataError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own, higher limit, hit while opening
        raise DataError(f"{what}: it has more than the limit of {MAX_PIXELS:,} pixels") from exc
    except MemoryError as exc:
        raise DataError(f"{what}: not enough memory to decode it") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        reason = str(exc) or type(exc).__name__
        raise DataError(f"{what}: {reason}") from exc
    except Exception as exc:  # Pillow's decoders raise struct.error, IndexError, ... on damaged files
        raise DataError(f"{what}: the file is damaged ({type(exc).__name__}: {exc})") from exc


def _why_unidentified(f) -> str:
    """Why no reader took the file: a damaged file of a format we read (and why), or another kind of file."""
    from PIL import Image

    f.seek(0)
    prefix = f.read(16)
    for fmt in FORMATS:
        factory, accept = Image.OPEN.get(fmt, (None, None))
        if factory is None or accept is None or accept(prefix) is not True:
            continue
        label = FORMAT_LABELS.get(fmt, fmt)
        f.seek(0)
        try:  # the same reader again, which just refused the file: to say why
            factory(f, "").close()
        except Exception as exc:
            return f"a damaged {label} file ({str(exc) or type(exc).__name__})"
        return f"a damaged {label} file"
    return f"not a supported image format ({FORMAT_NAMES})"


def _check_size(width: int, height: int, what: str) -> None:
    pixels = width * height
    if pixels > MAX_PIXELS:
        raise DataError(f"{what}: {width}x{height} pixels is more than the limit of {MAX_PIXELS:,} pixels")
    check_allocation(pixels * _BYTES_PER_PIXEL, f"{what}: its {width}x{height} pixels", DataError)


def _background_behind(gray: np.ndarray, alpha: np.ndarray) -> float:
    """What transparent pixels stand for: black behind light ink, white behind dark ink (or none).

    The ink is what is opaque, so its brightness is the opaque pixels' mean gray weighted by
    their opacity; transparent pixels' own colour is meaningless (often black, often white).
    """
    opacity = float(alpha.sum())
    if opacity == 0.0 or float(alpha.min()) >= 1.0:
        return 1.0
    return 0.0 if float((gray * alpha).sum()) / opacity > 0.5 else 1.0


def _to_gray(img) -> np.ndarray:
    if img.width == 0 or img.height == 0:
        raise ValueError("the image is empty")
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode.startswith("I") or img.mode == "F":
        a = np.asarray(img, dtype=np.float64)
        if not np.isfinite(a).all():  # float TIFFs may mark missing pixels this way
            raise ValueError("the image has NaN or infinite pixel values")
        peak = float(a.max()) if a.size else 0.0
        if img.mode.startswith("I;16") or 255 < peak <= 65535:
            top = 65535.0  # 16-bit samples
        elif img.mode == "F" and peak <= 1.0:
            top = 1.0  # already 0..1
        else:
            top = 255.0 if peak <= 255 else peak
        return np.clip(a / top, 0, 1).astype(np.float32)
    if img.mode in ("1", "L", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "La", "RGBa", "PA"):
        has_alpha = img.mode in ("LA", "RGBA", "La", "RGBa", "PA")
        gray = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
        if has_alpha:
            alpha = np.asarray(img.convert("RGBA").getchannel("A"), dtype=np.float32) / 255.0
            gray = gray * alpha + _background_behind(gray, alpha) * (1.0 - alpha)
        return np.ascontiguousarray(gray, dtype=np.float32)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
