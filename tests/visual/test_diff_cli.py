"""`leadforge visual diff`: files in, counts out, and one clear line for every bad input."""

from __future__ import annotations

import json
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leadforge.errors import InputError
from leadforge.visual.diff import diff_images, pixelmatch
from leadforge.visual.images import load_rgba
from tests.visual.reference import JS_DIR, requires_js, text_image


def save(path: Path, rgba: np.ndarray, mode: str = "RGBA") -> Path:
    Image.fromarray(rgba, "RGBA").convert(mode).save(path)
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    a = save(tmp_path / "a.png", text_image(120, 60, "Checkout"))
    b = save(tmp_path / "b.png", text_image(120, 60, "Checkout", colour=(200, 20, 20, 255)))
    return a, b


def test_json_output_has_count_total_and_ratio(run_cli, pair, tmp_path: Path) -> None:
    a, b = pair
    result = run_cli("visual", "diff", str(a), str(b), "--json", "--out", str(tmp_path / "d.png"))
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    expected = pixelmatch(load_rgba(a), load_rgba(b))
    assert data == {"mismatch": expected, "total": 120 * 60, "ratio": expected / (120 * 60)}
    assert expected > 0
    assert load_rgba(tmp_path / "d.png").shape == (60, 120, 4)


def test_options_reach_the_comparison(run_cli, pair) -> None:
    a, b = pair
    loose = json.loads(run_cli("visual", "diff", str(a), str(b), "--json", "--threshold", "0.9").stdout)
    strict = json.loads(run_cli("visual", "diff", str(a), str(b), "--json", "--threshold", "0", "--include-aa").stdout)
    assert loose["mismatch"] < strict["mismatch"]


@pytest.mark.integration
@requires_js
def test_same_count_and_diff_png_as_the_js_cli(run_cli, pair, tmp_path: Path) -> None:
    a, b = pair
    js_diff = tmp_path / "js.png"
    done = subprocess.run(
        ["node", str(JS_DIR / "node_modules" / "pixelmatch" / "bin" / "pixelmatch"), str(a), str(b), str(js_diff)],
        capture_output=True,
        text=True,
        check=False,
    )
    js_count = int(done.stdout.split("different pixels:")[1].split()[0])
    result = run_cli("visual", "diff", str(a), str(b), "--json", "--out", str(tmp_path / "ours.png"))
    assert json.loads(result.stdout)["mismatch"] == js_count
    assert np.array_equal(load_rgba(tmp_path / "ours.png"), load_rgba(js_diff))


def test_different_sizes_compare_on_the_padded_union(run_cli, tmp_path: Path) -> None:
    big = text_image(100, 50, "Wide")
    a = save(tmp_path / "a.png", big)
    b = save(tmp_path / "b.png", np.ascontiguousarray(big[:40, :90]))
    result = run_cli("visual", "diff", str(a), str(b), "--json", "--out", str(tmp_path / "d.png"))
    assert result.code == 0
    data = json.loads(result.stdout)
    assert data["total"] == 100 * 50
    assert data["mismatch"] == 100 * 50 - 90 * 40  # the overlap is identical; the rest counts as changed
    assert data["padded"]["size2"] == [90, 40]
    assert "padded 100x50 union" in result.stderr
    diff = load_rgba(tmp_path / "d.png")
    assert (diff[45, 95] == (255, 0, 0, 255)).all() and (diff[10, 10] != (255, 0, 0, 255)).any()


def test_padded_union_counts_outside_area_even_when_it_matches_transparent(tmp_path: Path) -> None:
    clear = np.zeros((10, 10, 4), dtype=np.uint8)
    result, _ = diff_images(clear, np.zeros((10, 12, 4), dtype=np.uint8), with_output=False)
    assert (result.mismatch, result.total, result.outside) == (20, 120, 20)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    data = good.read_bytes()
    files = {
        "truncated": data[: len(data) // 2],
        "not-a-png": b"GIF89a but not really an image",
        "bomb": b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 8, 6, 0, 0, 0))
        + _png_chunk(b"IEND", b""),
        "empty": b"",
    }
    broken = bytearray(data)
    broken[70] ^= 0xFF  # inside the compressed data
    files["corrupt"] = bytes(broken)
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.png"
        paths[name].write_bytes(content)
    return paths


def test_bad_images_fail_with_one_line_naming_the_file(run_cli, pair, tmp_path: Path) -> None:
    a, _ = pair
    bad = _bad_files(tmp_path, a)
    bad["missing"] = tmp_path / "missing.png"
    for name, path in bad.items():
        result = run_cli("visual", "diff", str(a), str(path), "--out", str(tmp_path / "never.png"))
        assert result.code == 1, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0], (name, result.stderr)
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "never.png").exists()
    assert "decompression bomb" in run_cli("visual", "diff", str(a), str(bad["bomb"])).stderr


@pytest.mark.parametrize("mode", ["RGB", "L", "LA", "P", "1", "I;16"])
def test_other_modes_are_converted_to_rgba(tmp_path: Path, mode: str) -> None:
    rgba = text_image(30, 20, "Hi")
    path = save(tmp_path / f"{mode.replace(';', '')}.png", rgba, mode)
    loaded = load_rgba(path)
    assert loaded.shape == (20, 30, 4) and loaded.dtype == np.uint8
    assert (loaded[..., 3] == 255).all()
    if mode in {"RGB", "L", "LA"}:
        grey = np.asarray(Image.fromarray(rgba).convert("L"))
        assert np.array_equal(loaded[..., 0], grey if mode != "RGB" else rgba[..., 0])


def test_sixteen_bit_grey_keeps_the_high_byte(tmp_path: Path) -> None:
    values = np.array([[0, 0x1234, 0xFFFF]], dtype=np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(values).save(path)
    assert Image.open(path).mode.startswith("I")
    assert load_rgba(path)[0, :, 0].tolist() == [0, 0x12, 0xFF]


def test_load_errors_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load_rgba(tmp_path)


def test_out_that_is_a_folder_is_one_line_not_a_traceback(run_cli, pair, tmp_path: Path) -> None:
    a, b = pair
    result = run_cli("visual", "diff", str(a), str(b), "--out", str(tmp_path))
    assert result.code == 1, result.stderr
    assert "is a folder" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_padded_union_over_pillows_limit_is_refused_only_when_drawing_it(run_cli, tmp_path: Path, monkeypatch) -> None:
    # two thin images, each fine on its own, make a padded union Pillow could not read back
    tall = save(tmp_path / "tall.png", np.full((400, 1, 4), 255, dtype=np.uint8))
    wide = save(tmp_path / "wide.png", np.full((1, 400, 4), 255, dtype=np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # the union has 160,000; each image 400
    out = tmp_path / "d.png"
    refused = run_cli("visual", "diff", str(tall), str(wide), "--out", str(out))
    assert refused.code == 1 and "over Pillow's limit" in refused.stderr and "400x400" in refused.stderr
    assert not out.exists()
    counted = run_cli("visual", "diff", str(tall), str(wide), "--json")
    assert counted.code == 0, counted.stderr
    assert json.loads(counted.stdout)["mismatch"] == 400 * 400 - 1
