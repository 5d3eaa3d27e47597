"""PNG in and out: the fast decoder (libspng) gives Pillow's pixels or steps aside; the fast writer's PNGs
decode (by Pillow and libspng) to exactly the array written."""

from __future__ import annotations

import builtins
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from leadforge.errors import InputError
from leadforge.visual import images
from leadforge.visual.images import (
    PILLOW_DEFAULT_PIXEL_LIMIT,
    decode_png,
    encode_png,
    encode_png_fast,
    encode_png_rows,
    load_rgba,
    pixel_limit,
    png_layout,
)
from tests.visual.reference import gradient_image, shapes_image, text_image

pyspng = pytest.importorskip("pyspng")


def pillow_rgba(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def pillow_png(rgba: np.ndarray, mode: str = "RGBA", **options: Any) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").convert(mode).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def samples() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    noise = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    translucent = text_image(80, 30, "Menu")
    translucent[..., 3] = np.where(translucent[..., 0] < 128, 90, 255)
    return {
        "text": text_image(120, 45, "Checkout"),
        "shapes": shapes_image(64, 40),
        "gradient": gradient_image(97, 31),
        "noise": noise,
        "translucent": translucent,
        "one-pixel": noise[:1, :1].copy(),
        "one-row": noise[:1].copy(),
        "one-column": noise[:, :1].copy(),
    }


def encodings(rgba: np.ndarray) -> dict[str, bytes]:
    """The same pixels written by every encoder a screenshot may come from (all filter types, interlaced)."""
    return {
        "pillow-rgba": pillow_png(rgba),
        "pillow-rgb": pillow_png(rgba, "RGB"),
        "pillow-optimize": pillow_png(rgba, optimize=True),
        "pillow-level0": pillow_png(rgba, compress_level=0),
        "libspng": pyspng.encode(rgba),
        "libspng-interlaced": pyspng.encode(rgba, progressive=pyspng.ProgressiveMode.INTERLACED),
        "ours": encode_png_fast(rgba),
        "ours-optimize": encode_png(rgba, optimize=True),
    }


def test_fast_decoder_gives_pillows_pixels_for_every_encoder() -> None:
    checked = 0
    for name, rgba in samples().items():
        for how, data in encodings(rgba).items():
            expected = pillow_rgba(data)
            fast = images._decode_fast(data)
            assert fast is not None, (name, how)  # 8-bit RGB/RGBA: the fast path takes them all
            assert fast.dtype == np.uint8 and fast.flags.c_contiguous
            assert np.array_equal(fast, expected), (name, how)
            checked += 1
    assert checked == len(samples()) * 8


@pytest.mark.parametrize("mode", ["P", "L", "LA", "1", "I;16", "PA"])
def test_other_png_kinds_go_to_pillow(mode: str) -> None:
    data = pillow_png(text_image(30, 20, "Hi"), "RGBA" if mode == "PA" else mode)
    if mode == "PA":
        data = pillow_png(text_image(30, 20, "Hi"), "P", transparency=0)  # a palette with tRNS
    assert images._decode_fast(data) is None
    assert decode_png(data, source="x").shape == (20, 30, 4)


def test_rgb_with_a_transparent_colour_goes_to_pillow() -> None:
    rgba = text_image(30, 20, "Hi")
    data = pillow_png(rgba, "RGB", transparency=(255, 255, 255))
    layout = png_layout(data)
    assert layout is not None and layout.transparency
    assert images._decode_fast(data) is None
    loaded = decode_png(data, source="x")
    assert (loaded[..., 3] == 0).any()  # Pillow applied the tRNS colour, as before
    assert np.array_equal(loaded, pillow_rgba(data))


def test_sixteen_bit_colour_goes_to_pillow() -> None:
    rgb16 = np.full((3, 4, 3), 0x1234, dtype=np.uint16)
    data = pyspng.encode(np.dstack([rgb16, np.full((3, 4, 1), 0xFFFF, np.uint16)]))
    layout = png_layout(data)
    assert layout is not None and layout.bit_depth == 16
    assert images._decode_fast(data) is None
    assert np.array_equal(decode_png(data, source="x"), pillow_rgba(data))


def _with_bad_header_crc(data: bytes) -> bytes:
    broken = bytearray(data)
    broken[29] ^= 0xFF  # the IHDR chunk's CRC
    return bytes(broken)


def test_damaged_files_go_to_pillow_which_words_the_error(tmp_path: Path) -> None:
    data = pillow_png(text_image(60, 30, "Broken"))
    cases = {
        "truncated": data[: len(data) // 2],
        "bad-header-crc": _with_bad_header_crc(data),
        "no-signature": data[8:],
    }
    for name, content in cases.items():
        assert images._decode_fast(content) is None, name
        path = tmp_path / f"{name}.png"
        path.write_bytes(content)
        with pytest.raises(InputError, match=str(path)):
            load_rgba(path)


def test_the_size_limit_holds_for_the_fast_decoder_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(pillow_png(text_image(60, 30, "Big")))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert pixel_limit() == 1000
    with pytest.raises(InputError, match="decompression bomb"):
        load_rgba(path)


def test_the_default_limit_is_pillows() -> None:
    assert Image.MAX_IMAGE_PIXELS == PILLOW_DEFAULT_PIXEL_LIMIT


def test_without_pyspng_pillow_decodes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_import = builtins.__import__

    def no_pyspng(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pyspng":
            raise ImportError("no pyspng")
        return real_import(name, *args, **kwargs)

    rgba = text_image(40, 20, "Fallback")
    path = tmp_path / "a.png"
    path.write_bytes(pillow_png(rgba))
    monkeypatch.setattr(builtins, "__import__", no_pyspng)
    assert images._decode_fast(path.read_bytes()) is None
    assert np.array_equal(load_rgba(path), rgba)


def test_load_rgba_takes_bytes_already_read(tmp_path: Path) -> None:
    rgba = text_image(40, 20, "Bytes")
    path = tmp_path / "a.png"
    path.write_bytes(pillow_png(rgba))
    assert np.array_equal(load_rgba(path, path.read_bytes()), rgba)


# ---- the writer ---------------------------------------------------------------------------------


def test_fast_writer_round_trips_every_sample_exactly() -> None:
    for name, rgba in samples().items():
        data = encode_png_fast(rgba)
        layout = png_layout(data, whole=True)
        assert layout is not None and layout.complete, name  # every chunk's CRC checks out, IEND present
        assert (layout.width, layout.height, layout.bit_depth, layout.colour_type) == (rgba.shape[1], rgba.shape[0], 8, 6)
        assert np.array_equal(pillow_rgba(data), rgba), name
        assert np.array_equal(pyspng.load(data), rgba), name


def test_fast_writer_is_the_same_in_stripes_and_with_zlib(monkeypatch: pytest.MonkeyPatch) -> None:
    rgba = shapes_image(90, 70)
    monkeypatch.setattr(images, "_STRIPE_BYTES", 1000)  # a few rows per stripe: the Up filter crosses stripes
    assert np.array_equal(pillow_rgba(encode_png_fast(rgba)), rgba)
    monkeypatch.setattr(images, "_compressor", lambda: zlib.compressobj(1))
    assert np.array_equal(pillow_rgba(encode_png_fast(rgba)), rgba)


def test_rows_may_come_from_one_reused_buffer() -> None:
    rgba = gradient_image(33, 50)
    buffer = np.empty((50, 33 * 4), dtype=np.uint8)

    def stripe(top: int, n: int) -> np.ndarray:
        buffer[:n] = rgba.reshape(50, -1)[top : top + n]
        return buffer[:n]

    images._STRIPE_BYTES, saved = 400, images._STRIPE_BYTES
    try:
        data = encode_png_rows(33, 50, stripe)
    finally:
        images._STRIPE_BYTES = saved
    assert np.array_equal(pillow_rgba(data), rgba)


def test_large_idat_is_split_into_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "_IDAT_MAX", 100)
    rgba = np.random.default_rng(2).integers(0, 256, (30, 30, 4), dtype=np.uint8)
    data = encode_png_fast(rgba)
    assert data.count(b"IDAT") > 10
    assert np.array_equal(pillow_rgba(data), rgba)


def test_writer_refuses_what_is_not_an_rgba_image() -> None:
    with pytest.raises(ValueError, match=r"expected an H×W×4 uint8 RGBA array, got shape \(2, 2, 3\)"):
        encode_png_fast(np.zeros((2, 2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="a PNG needs at least one pixel, not 0x3"):
        encode_png_rows(0, 3, lambda top, n: np.zeros((n, 0), dtype=np.uint8))


def test_optimize_still_writes_pillows_smallest_png() -> None:
    rgba = text_image(120, 45, "Stored")
    stored = encode_png(rgba, optimize=True)
    assert stored == pillow_png(rgba, "RGB", optimize=True, compress_level=9)  # opaque: RGB, as before
    assert len(stored) < len(encode_png(rgba))


# ---- the container ------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_layout_reads_the_header_and_checks_crcs() -> None:
    data = pillow_png(text_image(20, 10, "x"))
    layout = png_layout(data, whole=True)
    assert layout is not None and (layout.width, layout.height, layout.pixels, layout.complete) == (20, 10, 200, True)
    layout = png_layout(data)
    assert layout is not None and not layout.complete
    assert png_layout(_with_bad_header_crc(data)) is None
    no_iend = png_layout(data[:-12], whole=True)
    assert no_iend is not None and not no_iend.complete
    idat_corrupt = bytearray(data)
    idat_corrupt[-20] ^= 0x01  # inside the last IDAT: only the whole walk checks its CRC
    assert png_layout(bytes(idat_corrupt)) is not None
    assert png_layout(bytes(idat_corrupt), whole=True) is None
    assert png_layout(b"not a png") is None
    no_ihdr = images.PNG_SIGNATURE + _chunk(b"IEND", b"") + b"\0" * 30
    assert png_layout(no_ihdr) is None
