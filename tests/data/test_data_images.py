"""load_image: every common image mode becomes 2-D float32 grayscale in [0, 1]; bad files give DataError."""

import numpy as np
import pytest
from PIL import Image

from visualizer.core.errors import DataError
from visualizer.data.images import load_image


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


def test_alpha_is_composited_on_white(tmp_path):
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
    assert img.shape == (4, 4) and np.all(img == 1)  # white pixel, and transparent black over white


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
    with pytest.raises(DataError, match=r"^cannot read image notes.png: not an image format"):
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
