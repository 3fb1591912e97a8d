"""Read any image file Pillow understands into a 2-D float32 grayscale array in [0, 1]."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from visualizer.core.errors import DataError

MAX_PIXELS = 50_000_000  # refuse absurd sizes before decoding (decompression bombs)


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Load an image as grayscale, 0 = black and 1 = white, whatever its mode.

    Transparent pixels are composited on white (a drawing on a transparent canvas reads as
    ink on paper); palettes are expanded; 16-bit and 32-bit (I;16, I, F) images are scaled by
    their full range. Inverting dark-on-light drawings is left to ``core.preprocess``.

    Parameters
    ----------
    path : str or path
        A PNG, JPEG, BMP, GIF (first frame), TIFF, WebP, ... file.

    Returns
    -------
    ndarray
        float32, shape (height, width), values in [0, 1].

    Raises
    ------
    DataError
        "cannot read image NAME: reason" for missing, unreadable, corrupt or empty images, or
        float images with NaN or infinite pixels.
    """
    from PIL import Image, UnidentifiedImageError

    name = Path(path).name
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_PIXELS:
                raise DataError(f"cannot read image {name}: {img.width}x{img.height} pixels is too large")
            img.load()
            return _to_gray(img)
    except DataError:
        raise
    except FileNotFoundError as exc:
        raise DataError(f"cannot read image {name}: no such file") from exc
    except UnidentifiedImageError as exc:
        raise DataError(f"cannot read image {name}: not an image format Pillow knows") from exc
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        reason = str(exc) or type(exc).__name__
        raise DataError(f"cannot read image {name}: {reason}") from exc


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
        rgba = img.convert("RGBA") if has_alpha else None
        gray = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
        if rgba is not None:
            alpha = np.asarray(rgba, dtype=np.float32)[..., 3] / 255.0
            gray = gray * alpha + (1.0 - alpha)  # composite on white
        return np.ascontiguousarray(gray, dtype=np.float32)
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
