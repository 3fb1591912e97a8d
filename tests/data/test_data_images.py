"""load_image: every common image mode becomes 2-D float32 gray in [0, 1]; bad files give one-line DataErrors.

Hostile files (PostScript posing as a PNG, FIFOs, decompression bombs, TIFFs that make Pillow
warn or log) are refused with one line and never run code, block or print anything else.
"""

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from untrusted import run_predict, tiny_snapshot

from visualizer.core import safeio
from visualizer.core.errors import DataError
from visualizer.data.images import MAX_PIXELS, load_image


def gradient(h=12, w=20):
    return np.tile(np.linspace(0, 255, w).round().astype(np.uint8), (h, 1))


@pytest.mark.parametrize("suffix", ["png", "bmp", "tif", "webp", "gif"])
def test_grayscale_formats(tmp_path, suffix):
    path = tmp_path / f"g.{suffix}"
    Image.fromarray(gradient()).save(path, **({"lossless": True} if suffix == "webp" else {}))
    img = load_image(path)
    assert img.shape == (12, 20) and img.dtype == np.float32 and img.ndim == 2
    np.testing.assert_allclose(img, gradient() / 255, atol=1 / 255 + 1e-6)


def test_jpeg_is_close(tmp_path):
    path = tmp_path / "g.jpg"
    Image.fromarray(gradient()).save(path, quality=95)
    np.testing.assert_allclose(load_image(path), gradient() / 255, atol=0.05)


def test_rgb_uses_luminance(tmp_path):
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 1] = 255  # pure green
    Image.fromarray(rgb).save(tmp_path / "c.png")
    img = load_image(tmp_path / "c.png")
    assert np.allclose(img, 150 / 255, atol=0.01)  # ITU-R 601: 0.587 * 255


def test_dark_ink_on_transparent_is_composited_on_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)  # black ...
    rgba[:2, :, 3] = 255  # ... opaque in the top half, fully transparent below
    rgba[2:, :2, 3] = 128  # half transparent in one corner
    Image.fromarray(rgba).save(tmp_path / "a.png")
    img = load_image(tmp_path / "a.png")
    assert np.all(img[:2] == 0) and np.all(img[3, 2:] == 1)
    assert np.allclose(img[2, :2], 1 - 128 / 255, atol=1e-6)
    la = Image.fromarray(rgba[..., [0, 3]], mode="LA")
    la.save(tmp_path / "la.png")
    np.testing.assert_allclose(load_image(tmp_path / "la.png"), img, atol=1e-6)


def test_palette_with_transparency(tmp_path):
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    pal.putpixel((0, 0), 1)
    pal.info["transparency"] = 0  # index 0 (black) is transparent
    pal.save(tmp_path / "p.png", transparency=0)
    img = load_image(tmp_path / "p.png")
    # One white pixel of ink on a transparent sheet: light ink, so the sheet reads as black.
    assert img.shape == (4, 4) and img[0, 0] == 1 and np.all(img.ravel()[1:] == 0)


@pytest.mark.parametrize("ink", [255, 0])
def test_a_digit_on_a_transparent_canvas_is_found_whatever_its_ink(tmp_path, ink):
    """Dark-mode drawing apps save white strokes on transparency; others black ones."""
    from visualizer.core.preprocess import preprocess

    rgba = np.zeros((120, 120, 4), np.uint8)
    rgba[..., :3] = 255 - ink  # what transparent pixels hold is arbitrary: here the opposite of the ink
    rgba[20:100, 55:65] = (ink, ink, ink, 255)  # a "1"
    Image.fromarray(rgba).save(tmp_path / "one.png")
    img = load_image(tmp_path / "one.png")
    assert img[60, 60] == ink / 255 and img[5, 5] == 1 - ink / 255
    pre = preprocess(img)
    assert pre is not None and pre.bbox == (20, 55, 100, 65)
    assert pre.inverted is (ink == 0)


def test_sixteen_bit(tmp_path):
    a = (np.linspace(0, 65535, 16).reshape(4, 4)).astype(np.uint16)
    Image.fromarray(a).save(tmp_path / "16.png")
    img = load_image(tmp_path / "16.png")
    np.testing.assert_allclose(img, a / 65535, atol=1e-4)


def test_one_bit(tmp_path):
    Image.fromarray(gradient() > 128).save(tmp_path / "b.png")
    img = load_image(tmp_path / "b.png")
    np.testing.assert_array_equal(img, (gradient() > 128).astype(np.float32))


def test_float_image(tmp_path):
    a = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    Image.fromarray(a, mode="F").save(tmp_path / "f.tif")
    np.testing.assert_allclose(load_image(tmp_path / "f.tif"), a, atol=1e-6)


def test_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match=r"^cannot read image missing.png: no such file$"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(DataError, match=r"^cannot read image notes.png: not a supported image format \(PNG, "):
        load_image(tmp_path / "notes.png")
    Image.fromarray(gradient(200, 200)).save(tmp_path / "cut.png")
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"^cannot read image cut.png: "):
        load_image(tmp_path / "cut.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"^cannot read image empty.png: "):
        load_image(tmp_path / "empty.png")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(DataError, match=r"^cannot read image dir.png: "):
        load_image(tmp_path / "dir.png")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_float_image_with_nan_or_inf_is_a_data_error(tmp_path, bad):
    a = np.zeros((8, 8), np.float32)
    a[2:6, 3:5] = 1.0
    a[0, 0] = bad  # a scientific TIFF with a missing-value pixel
    Image.fromarray(a, mode="F").save(tmp_path / "f.tif")
    with pytest.raises(DataError, match=r"^cannot read image f.tif: .*NaN or infinite"):
        load_image(tmp_path / "f.tif")


# ------------------------------------------------------------------------------ hostile files


def postscript(marker, dos_header=False, name_tag="EPSF-3.0"):
    """PostScript that, if interpreted, writes ``marker`` (Ghostscript's -dSAFER still allows $TMPDIR)."""
    program = (f"%!PS-Adobe-3.0 {name_tag}\n%%BoundingBox: 0 0 28 28\n"
               f"({marker}) (w) file dup (pwned) writestring closefile\n"
               "0 0 moveto 28 28 lineto stroke showpage\n").encode()
    if not dos_header:
        return program
    # DOS EPS: a 30-byte binary header pointing at the PostScript section
    return b"\xc5\xd0\xd3\xc6" + struct.pack("<6I", 30, len(program), 0, 0, 0, 0)[:24] + b"\xff\xff" + program


@pytest.mark.parametrize(("name", "dos_header", "name_tag"), [
    ("digit.png", False, "EPSF-3.0"), ("digit.eps", False, "EPSF-3.0"), ("digit.ps", False, ""),
    ("digit.jpg", True, "EPSF-3.0"),
])
def test_postscript_never_runs(tmp_path, name, dos_header, name_tag):
    marker = tmp_path / "pwned"
    (tmp_path / name).write_bytes(postscript(marker, dos_header, name_tag))
    try:
        load_image(tmp_path / name)
        message = None
    except DataError as exc:
        message = str(exc)
    assert not marker.exists(), "the PostScript in the image was interpreted"
    assert message == (f"cannot read image {name}: not a supported image format "
                       "(PNG, JPEG, BMP, GIF, TIFF, WebP or PGM/PPM)")


def png_header_only(width, height):
    """A PNG declaring ``width`` x ``height`` gray pixels but holding one row: cheap to make, huge to decode."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(width + 1))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [8000, 10000, 20000])  # ours only; also Pillow's warning; also Pillow's error
def test_a_decompression_bomb_is_refused_naming_the_limit(tmp_path, side):
    (tmp_path / "bomb.png").write_bytes(png_header_only(side, side))
    limit = rf"more than the limit of {MAX_PIXELS:,} pixels$"
    with pytest.raises(DataError, match=rf"^cannot read image bomb.png: .*{limit}"):
        load_image(tmp_path / "bomb.png")  # filterwarnings=error: a DecompressionBombWarning would fail here


def test_an_image_larger_than_the_free_memory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(safeio, "available_memory", lambda: 64 << 20)  # a machine with 64 MB free
    (tmp_path / "big.png").write_bytes(png_header_only(2000, 2000))
    with pytest.raises(DataError, match=r"^cannot read image big.png: its 2000x2000 pixels would need 91.6 MB "
                                        r"of memory; this machine can spare about 64.0 MB$"):
        load_image(tmp_path / "big.png")


def tiff(extra_entries=(), samples=1):
    """A 4x4 8-bit gray little-endian TIFF with ``extra_entries`` (tag, type, count, value) in its directory."""
    entries = sorted([(256, 3, 1, 4), (257, 3, 1, 4), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
                      (273, 4, 1, 0), (277, 3, 1, samples), (278, 3, 1, 4), (279, 4, 1, 16), *extra_entries])
    ifd_size = 2 + 12 * len(entries) + 4
    pixels_at = 8 + ifd_size
    body = b"".join(struct.pack("<HHII", tag, kind, count, pixels_at if tag == 273 else value)
                    for tag, kind, count, value in entries)
    return (b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)) + body + b"\x00" * 4
            + bytes(range(0, 256, 16)))


def test_tiff_metadata_problems_are_not_shown(tmp_path):
    # Orientation (274) holds one value; two make Pillow warn "Metadata Warning, tag 274 had too many entries".
    (tmp_path / "meta.tif").write_bytes(tiff([(274, 3, 2, 1 | 1 << 16)]))
    img = load_image(tmp_path / "meta.tif")  # filterwarnings=error: the warning would fail here
    np.testing.assert_allclose(img.ravel(), np.arange(0, 256, 16) / 255, atol=1e-6)


def test_a_damaged_file_of_a_known_format_says_so(tmp_path):
    (tmp_path / "samples.tif").write_bytes(tiff(samples=1000))  # Pillow also logs an error for this one
    with pytest.raises(DataError, match=r"^cannot read image samples.tif: a damaged TIFF file \(.*samples per"):
        load_image(tmp_path / "samples.tif")
    data = bytearray(png_header_only(4, 4))
    data[29] ^= 0xFF  # the IHDR checksum
    (tmp_path / "crc.png").write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"^cannot read image crc.png: a damaged PNG file \(.*checksum"):
        load_image(tmp_path / "crc.png")


def test_a_name_with_newlines_gives_one_line(tmp_path):
    (tmp_path / "two\nlines\r.png").write_text("not an image")
    with pytest.raises(DataError) as caught:
        load_image(tmp_path / "two\nlines\r.png")
    assert str(caught.value).startswith("cannot read image two lines .png: not a supported image format")


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    from visualizer.training.export import export_weights

    return export_weights(tiny_snapshot(0), tmp_path_factory.mktemp("weights") / "tiny.npz")


HOSTILE = {
    # Ghostscript would spin forever on this one
    "loop.png": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\n",
    "bomb.png": png_header_only(20000, 20000),
    "samples.tif": tiff(samples=1000),  # Pillow logs "More samples per pixel than can be decoded"
    "error.png": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\nundefinedname\n",  # a PostScript error
}


@pytest.mark.parametrize("name", [*HOSTILE, "fifo.png", "new\nline.png"])
def test_predict_refuses_a_hostile_image_promptly_with_one_line(tmp_path, weights, name):
    path = tmp_path / name
    if name == "fifo.png":
        os.mkfifo(path)  # nobody ever writes to it: opening it for reading would block
    else:
        path.write_bytes(HOSTILE.get(name, b"text"))
    run = run_predict(weights, [path], timeout=60)
    assert not run.timed_out, f"predict {name} did not return within 60 s"
    assert run.returncode == 2 and run.stdout == []
    assert len(run.stderr) == 1 and run.stderr[0].startswith("nnviz: error: cannot read image "), run.stderr
