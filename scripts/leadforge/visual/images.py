"""PNG in and out: decode to H×W×4 ``uint8`` RGBA arrays with one-line errors; write PNGs atomically.

Speed (see docs/visual.md, "Speed"): the PNGs browsers and we write (8 bits per channel, RGB or RGBA, no
``tRNS``) are decoded by libspng (``pyspng-seunglab``), about 2.4x faster than Pillow; every other kind, and
any file libspng refuses, goes to Pillow, so pixels and error messages are Pillow's. Diff images are written
by a small PNG writer (the "Up" filter, deflate level 1 by ISA-L): about 10x faster than Pillow's encoder,
files ~15% larger. Stored screenshots (``optimize=True``) are still written by Pillow, as small as it can.
Both fast parts are optional at run time: without ``pyspng`` Pillow decodes, without ``isal`` zlib deflates.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge.errors import InputError
from leadforge.fsutil import atomic_write

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# colour types of the PNG specification (IHDR)
_TRUECOLOUR, _TRUECOLOUR_ALPHA = 2, 6


def load_rgba(path: str | Path, data: bytes | None = None) -> np.ndarray:
    """Decode an image file to RGBA; any other mode is converted (16-bit grey scaled to 8 bits).
    ``data``: the file's bytes when the caller has read them already.

    Corrupt, truncated or oversized (Pillow's decompression-bomb limit) files raise ``InputError``."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            data = None  # Pillow's path below names the problem
    if data is not None:
        fast = _decode_fast(data)
        if fast is not None:
            return fast
    return _load_with_pillow(path)


def _load_with_pillow(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return _to_rgba(image)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not an image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        found = re.search(r"\((\d+) pixels\)", str(err))
        size = f"{int(found.group(1))} pixels" if found else "too many pixels"
        raise InputError(
            f"{path}: refused as a possible decompression bomb: {size}, over Pillow's limit of "
            f"{Image.MAX_IMAGE_PIXELS} (PIL.Image.MAX_IMAGE_PIXELS)"
        ) from None
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image Pillow can read (corrupt or not a PNG)") from None
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error) as err:
        raise InputError(f"{path}: corrupt or truncated image: {_first_line(err)}") from None


def check_canvas(img1: np.ndarray, img2: np.ndarray, *, what: str, hint: str) -> None:
    """Refuse an image on the padded union of two larger than Pillow reads back (two thin images make a huge one)."""
    limit = pixel_limit()
    width, height = max(img1.shape[1], img2.shape[1]), max(img1.shape[0], img2.shape[0])
    if limit is not None and width * height > limit:
        raise InputError(
            f"{what} would be {width}x{height} ({width * height} pixels), over Pillow's limit of {limit} "
            f"(PIL.Image.MAX_IMAGE_PIXELS); {hint}"
        )


# Pillow's default PIL.Image.MAX_IMAGE_PIXELS (the same since Pillow 5; a test keeps it in step).
PILLOW_DEFAULT_PIXEL_LIMIT = 1024 * 1024 * 1024 // 4 // 3


def pixel_limit() -> int | None:
    """Pillow's decompression-bomb limit, which applies to every image we read (whichever decoder reads it).

    Until something imports Pillow nobody can have changed it: its default then, without the import."""
    image = sys.modules.get("PIL.Image")
    return PILLOW_DEFAULT_PIXEL_LIMIT if image is None else image.MAX_IMAGE_PIXELS


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _to_rgba(image: Image.Image) -> np.ndarray:
    import numpy as np
    from PIL import Image

    mode = image.mode
    if mode == "RGBA":
        return np.array(image, dtype=np.uint8)
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I"}:
        # 16-bit grey: keep the high byte (what a browser or pngjs shows), not Pillow's clipping
        grey = np.asarray(image).astype(np.uint32)
        if mode == "I" and grey.max(initial=0) <= 255:
            grey8 = grey.astype(np.uint8)
        else:
            grey8 = (np.minimum(grey, 0xFFFF) >> 8).astype(np.uint8)
        image = Image.fromarray(grey8, "L")
    elif mode == "La":
        image = image.convert("LA")
    return np.array(image.convert("RGBA"), dtype=np.uint8)


# ---- the PNG container (pure) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PngLayout:
    """What a PNG's chunks say, read without inflating its pixels."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int
    transparency: bool  # a tRNS chunk (a transparent colour or palette alphas)
    complete: bool  # every chunk was read up to IEND, every CRC matched

    @property
    def pixels(self) -> int:
        return self.width * self.height


def png_layout(data: bytes, *, whole: bool = False) -> PngLayout | None:
    """The header of PNG ``data``, with each chunk's CRC checked up to the first IDAT (``whole``: up to
    IEND, the image data included); None when it is not a well-formed PNG that far."""
    if len(data) < 33 or not data.startswith(PNG_SIGNATURE):
        return None
    view = memoryview(data)
    pos, header, transparency = 8, None, False
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            return None
        if whole or header is None or kind != b"IDAT":
            (crc,) = struct.unpack_from(">I", data, end - 4)
            if zlib.crc32(view[pos + 4 : end - 4]) != crc:
                return None
        if header is None:
            if kind != b"IHDR" or length != 13:
                return None
            header = struct.unpack_from(">IIBBBBB", data, pos + 8)
        elif kind == b"tRNS":
            transparency = True
        elif (kind == b"IDAT" and not whole) or kind == b"IEND":  # the header chunks are all read
            break
        pos = end
    else:
        if not whole or header is None:
            return None
    if header is None:
        return None
    width, height, bit_depth, colour_type, _compression, _filter, interlace = header
    return PngLayout(width, height, bit_depth, colour_type, interlace, transparency, whole and kind == b"IEND")


def _decode_fast(data: bytes) -> np.ndarray | None:
    """libspng's RGBA for the PNGs screenshots are (8-bit RGB/RGBA, no tRNS); None: let Pillow decode it."""
    try:
        import pyspng
    except ImportError:
        return None
    layout = png_layout(data)
    if layout is None or layout.bit_depth != 8 or layout.colour_type not in (_TRUECOLOUR, _TRUECOLOUR_ALPHA):
        return None
    if layout.transparency or layout.interlace not in (0, 1) or layout.pixels == 0:
        return None
    limit = pixel_limit()
    if limit is not None and layout.pixels > limit:
        return None  # Pillow refuses it with its own message
    try:
        rgba = pyspng.load(data, format="RGBA")
    except Exception:  # noqa: BLE001 - any failure: Pillow decides and words the error
        return None
    import numpy as np

    if rgba.dtype != np.uint8 or rgba.shape != (layout.height, layout.width, 4):
        return None
    return np.ascontiguousarray(rgba)


# ---- writing ------------------------------------------------------------------------------------


def encode_png(rgba: np.ndarray, *, optimize: bool = False) -> bytes:
    """PNG bytes of an RGBA array (RGB when fully opaque). ``optimize``: Pillow's smallest file, for stored
    screenshots; otherwise the fast writer, for diff images and report images."""
    if not optimize:
        return encode_png_fast(rgba)
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(rgba, "RGBA")
    if not (rgba[..., 3] < 255).any():
        image = image.convert("RGB")  # no transparency: a quarter smaller before compression
    image.save(buffer, format="PNG", optimize=True, compress_level=9)
    return buffer.getvalue()


# Rows filtered and compressed at once: about 1 MB, so the filtered copy stays in cache.
_STRIPE_BYTES = 1 << 20
_IDAT_MAX = 1 << 24


def encode_png_fast(rgba: np.ndarray) -> bytes:
    """A valid PNG of ``rgba``, written for speed (see ``encode_png_rows``)."""
    import numpy as np

    if not isinstance(rgba, np.ndarray) or rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected an H×W×4 uint8 RGBA array, got shape {getattr(rgba, 'shape', None)}")
    height, width = rgba.shape[:2]
    rows = np.ascontiguousarray(rgba).reshape(height, width * 4)
    return encode_png_rows(width, height, lambda top, n: rows[top : top + n])


def encode_png_rows(width: int, height: int, stripe: Callable[[int, int], np.ndarray]) -> bytes:
    """A PNG of ``height`` rows of ``width`` RGBA pixels, where ``stripe(top, n)`` gives rows ``top..top+n``
    as an ``n × width*4`` uint8 array (it may reuse one buffer: a stripe is consumed before the next is
    asked for). An image drawn a stripe at a time (the side-by-side view) is never held whole.

    Written for speed: 8-bit RGBA, every row with the "Up" filter (one vectorised subtraction per stripe),
    deflate at level 1 (ISA-L when installed, else zlib). Always RGBA: dropping an opaque alpha channel
    would save ~10% of the file but the strided copy costs more time than the whole compression."""
    import numpy as np

    if width <= 0 or height <= 0:
        raise ValueError(f"a PNG needs at least one pixel, not {width}x{height}")
    row_bytes = width * 4
    per_stripe = max(1, _STRIPE_BYTES // (row_bytes + 1))
    compressor = _compressor()
    pieces = []
    buffer = np.empty((min(per_stripe, height), row_bytes + 1), dtype=np.uint8)
    buffer[:, 0] = 2  # filter type Up: each byte minus the byte above it (above the first row: zeros)
    previous = np.zeros(row_bytes, dtype=np.uint8)
    for top in range(0, height, per_stripe):
        n = min(per_stripe, height - top)
        rows = stripe(top, n)
        if rows.shape != (n, row_bytes) or rows.dtype != np.uint8:
            raise ValueError(f"stripe({top}, {n}) gave {rows.shape} {rows.dtype}, not ({n}, {row_bytes}) uint8")
        body = buffer[:n, 1:]
        np.subtract(rows[0], previous, out=body[0])
        np.subtract(rows[1:], rows[:-1], out=body[1:])
        previous = rows[-1].copy()
        pieces.append(compressor.compress(buffer[:n].data))
    pieces.append(compressor.flush())
    data = b"".join(pieces)
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, _TRUECOLOUR_ALPHA, 0, 0, 0))]
    chunks += [_chunk(b"IDAT", data[i : i + _IDAT_MAX]) for i in range(0, len(data), _IDAT_MAX)]
    chunks.append(_chunk(b"IEND", b""))
    return PNG_SIGNATURE + b"".join(chunks)


def _compressor() -> zlib._Compress:
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib.compressobj(1)
    return isal_zlib.compressobj(1)  # type: ignore[return-value]  # isal_zlib mirrors zlib; its stub names its own class


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def save_png(path: str | Path, rgba: np.ndarray, *, optimize: bool = False) -> Path:
    """Write ``rgba`` as a PNG atomically (never a half-written file)."""
    return atomic_write(path, encode_png(rgba, optimize=optimize))


def decode_png(data: bytes, *, source: str) -> np.ndarray:
    """Decode image bytes (same checks and conversions as ``load_rgba``); errors name ``source``."""
    fast = _decode_fast(data)
    if fast is not None:
        return fast
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return _to_rgba(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{source}: refused as a possible decompression bomb (over PIL.Image.MAX_IMAGE_PIXELS)") from None
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error) as err:
        raise InputError(f"{source}: not a readable PNG: {_first_line(err)}") from None


def optimize_png_bytes(data: bytes, *, source: str = "screenshot") -> bytes:
    """Re-encode PNG bytes (as a browser wrote them) losslessly and smaller; keep the original if not smaller."""
    rgba = decode_png(data, source=source)
    smaller = encode_png(rgba, optimize=True)
    return smaller if len(smaller) < len(data) else data
