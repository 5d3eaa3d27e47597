"""PNG in and out: decode to H×W×4 ``uint8`` RGBA arrays with one-line errors; write optimised PNGs atomically."""

from __future__ import annotations

import io
import re
import warnings
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from leadforge.errors import InputError
from leadforge.fsutil import atomic_write

if TYPE_CHECKING:
    import numpy as np


def load_rgba(path: str | Path) -> np.ndarray:
    """Decode an image file to RGBA; any other mode is converted (16-bit grey scaled to 8 bits).

    Corrupt, truncated or oversized (Pillow's decompression-bomb limit) files raise ``InputError``."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return _to_rgba(image, np)
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
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    width, height = max(img1.shape[1], img2.shape[1]), max(img1.shape[0], img2.shape[0])
    if limit is not None and width * height > limit:
        raise InputError(
            f"{what} would be {width}x{height} ({width * height} pixels), over Pillow's limit of {limit} "
            f"(PIL.Image.MAX_IMAGE_PIXELS); {hint}"
        )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _to_rgba(image: object, np: object) -> np.ndarray:
    from PIL import Image

    assert isinstance(image, Image.Image)
    mode = image.mode
    if mode == "RGBA":
        return np.array(image, dtype=np.uint8)  # type: ignore[attr-defined]
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I"}:
        # 16-bit grey: keep the high byte (what a browser or pngjs shows), not Pillow's clipping
        grey = np.asarray(image).astype(np.uint32)  # type: ignore[attr-defined]
        if mode == "I" and grey.max(initial=0) <= 255:
            grey8 = grey.astype(np.uint8)  # type: ignore[attr-defined]
        else:
            grey8 = (np.minimum(grey, 0xFFFF) >> 8).astype(np.uint8)  # type: ignore[attr-defined]
        image = Image.fromarray(grey8, "L")
    elif mode == "La":
        image = image.convert("LA")
    return np.array(image.convert("RGBA"), dtype=np.uint8)  # type: ignore[attr-defined, union-attr]


def encode_png(rgba: np.ndarray, *, optimize: bool = False) -> bytes:
    """PNG bytes of an RGBA array; ``optimize`` spends more time for a smaller file (stored screenshots)."""
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(rgba, "RGBA")
    if optimize and not (rgba[..., 3] < 255).any():
        image = image.convert("RGB")  # no transparency: a quarter smaller before compression
    image.save(buffer, format="PNG", optimize=optimize, compress_level=9 if optimize else 6)
    return buffer.getvalue()


def save_png(path: str | Path, rgba: np.ndarray, *, optimize: bool = False) -> Path:
    """Write ``rgba`` as a PNG atomically (never a half-written file)."""
    return atomic_write(path, encode_png(rgba, optimize=optimize))


def decode_png(data: bytes, *, source: str) -> np.ndarray:
    """Decode image bytes (same checks and conversions as ``load_rgba``); errors name ``source``."""
    import numpy as np
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return _to_rgba(image, np)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{source}: refused as a possible decompression bomb (over PIL.Image.MAX_IMAGE_PIXELS)") from None
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error) as err:
        raise InputError(f"{source}: not a readable PNG: {_first_line(err)}") from None


def optimize_png_bytes(data: bytes, *, source: str = "screenshot") -> bytes:
    """Re-encode PNG bytes (as a browser wrote them) losslessly and smaller; keep the original if not smaller."""
    rgba = decode_png(data, source=source)
    smaller = encode_png(rgba, optimize=True)
    return smaller if len(smaller) < len(data) else data
