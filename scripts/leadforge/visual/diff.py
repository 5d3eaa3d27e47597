"""A numpy port of pixelmatch 7.2.0 (mapbox/pixelmatch) that is exact and fast.

``pixelmatch`` returns the same mismatch count and writes the same diff image, byte
for byte, as the JavaScript ``pixelmatch@7.2.0`` package for every option (checked
against it in ``tests/visual/test_diff_exact.py``). Every floating-point expression
keeps the JavaScript operation order so IEEE-754 rounding is identical.

How it stays fast (most pixels of two screenshots are identical):

* pixels are compared as 32-bit words, band by band; the YIQ colour delta runs only
  on the words that differ (gathered when few differ, on contiguous slices when many do);
* the anti-aliasing detector runs only on pixels over the threshold, vectorised over
  all of them at once: the "has 3+ identical neighbours" question is answered by a
  per-band map of identical-neighbour counts (one ``uint8`` per pixel, computed with
  shifted slices), and the 8 brightness deltas only for centres that map lets through;
* the grey background of the diff image is computed once per run of identical pixels.

Memory beyond the inputs and the output stays bounded by the band size (a few MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_YIQ_DELTA", "DiffResult", "diff_images", "pixelmatch"]

MAX_YIQ_DELTA = 35215  # the largest possible YIQ delta (pixelmatch's constant)

# Band of pixels processed at once: small enough for temporaries to stay in cache.
_BAND = 1 << 17

# Y (brightness), I and Q coefficients, as written in pixelmatch.
_YR, _YG, _YB = 0.29889531, 0.58662247, 0.11448223
_IR, _IG, _IB = 0.59597799, 0.27417610, 0.32180189
_QR, _QG, _QB = 0.21147017, 0.52261711, 0.31114694
_PHI, _PHI2 = 1.618033988749895, 2.618033988749895

# Neighbour offsets (dx, dy) in the order the JavaScript loops visit them: x outer, y inner.
_OFFSETS = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0))


def _to_uint8(value: float) -> int:
    """JavaScript's ToUint8 (what a store into a ``Uint8Array`` does): truncate, then mod 256."""
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        return 0
    return int(v) & 0xFF


def _word(rgb: Sequence[float]) -> np.uint32:
    """The pixel (r, g, b, 255) as the native-endian 32-bit word of its RGBA bytes."""
    if len(rgb) != 3:
        raise ValueError(f"a colour is three numbers (r, g, b), got {tuple(rgb)!r}")
    r, g, b = (_to_uint8(c) for c in rgb)
    return np.uint32(np.array([r, g, b, 255], dtype=np.uint8).view(np.uint32)[0])


# Grey value v -> the word (v, v, v, 255).
_GREY_RGBA = np.repeat(np.arange(256, dtype=np.uint8), 4).reshape(256, 4)
_GREY_RGBA[:, 3] = 255
_GREY_WORDS = _GREY_RGBA.view(np.uint32).reshape(256)


def _as_rgba(name: str, img: Any) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 4:
        shape = getattr(img, "shape", None)
        dtype = getattr(img, "dtype", type(img).__name__)
        raise ValueError(f"{name}: expected an H×W×4 uint8 RGBA array, got shape {shape} of {dtype}")
    return np.ascontiguousarray(img)


def pixelmatch(
    img1: np.ndarray,
    img2: np.ndarray,
    output: np.ndarray | None = None,
    *,
    threshold: float = 0.1,
    include_aa: bool = False,
    alpha: float = 0.1,
    aa_color: Sequence[float] = (255, 255, 0),
    diff_color: Sequence[float] = (255, 0, 0),
    diff_color_alt: Sequence[float] | None = None,
    diff_mask: bool = False,
    checkerboard: bool = True,
) -> int:
    """Compare two H×W×4 ``uint8`` RGBA images; return the number of mismatched pixels.

    The options are pixelmatch 7.2.0's (``includeAA`` -> ``include_aa`` ...). ``output``
    (an H×W×4 ``uint8`` array) receives the diff image: a faded grey copy of ``img1``
    with anti-aliased pixels in ``aa_color`` and differences in ``diff_color``
    (``diff_color_alt`` where ``img2`` is darker); with ``diff_mask`` only the
    differences are drawn and every other output pixel is left as it was.
    """
    a = _as_rgba("img1", img1)
    b = _as_rgba("img2", img2)
    if a.shape != b.shape:
        raise ValueError(f"image sizes do not match: {a.shape[1]}x{a.shape[0]} vs {b.shape[1]}x{b.shape[0]}")
    if output is not None:
        if not isinstance(output, np.ndarray) or output.dtype != np.uint8 or output.shape != a.shape:
            raise ValueError(f"output: expected a {a.shape[1]}x{a.shape[0]}x4 uint8 array like the inputs")
        if not output.flags.c_contiguous or not output.flags.writeable:
            raise ValueError("output: must be a writable C-contiguous array")
    for label, number in (("threshold", threshold), ("alpha", alpha)):
        if not np.isfinite(number):
            raise ValueError(f"{label} must be a finite number, got {number!r}")

    height, width = a.shape[:2]
    total = width * height
    a32 = a.reshape(-1).view(np.uint32)
    b32 = b.reshape(-1).view(np.uint32)
    out32 = output.reshape(-1).view(np.uint32) if output is not None else None
    grey_out = None if diff_mask else out32  # where the unchanged pixels are drawn in grey (not in a diff mask)

    max_delta = MAX_YIQ_DELTA * threshold * threshold
    aa_word = _word(aa_color)
    diff_word = _word(diff_color)
    alt_word = _word(diff_color_alt if diff_color_alt is not None else diff_color)
    ctx = _Context(a, b, a32, b32, width, height, checkerboard, max_delta)

    # Identical images need no special case: every band then finds no differing word.
    mismatch = 0
    band = _BAND
    for start in range(0, total, band):
        stop = min(start + band, total)
        if grey_out is not None:
            grey_out[start:stop] = _grey_words(a, a32, start, stop, float(alpha))
        over, delta = ctx.over_threshold(start, stop)
        if over.size == 0:
            continue
        if include_aa:
            real, real_delta = over, delta
        else:
            aa = ctx.antialiased(over)
            if grey_out is not None:
                grey_out[over[aa]] = aa_word
            keep = ~aa
            real, real_delta = over[keep], delta[keep]
        mismatch += int(real.size)
        if out32 is not None and real.size:
            out32[real] = np.where(real_delta < 0, alt_word, diff_word)
    return mismatch


# ---- the diff image background --------------------------------------------------------------


def _grey_values(px: np.ndarray, alpha: float) -> np.ndarray:
    """``drawGrayPixel``'s value for each RGBA row of ``px``, stored as a Uint8Array would."""
    y = px[:, 0] * _YR
    y += px[:, 1] * _YG
    y += px[:, 2] * _YB
    y -= 255
    y *= alpha
    y *= px[:, 3]
    y /= 255
    y += 255
    if 0.0 <= alpha <= 1.0:  # the value is in [0, 256): a cast truncates like ToUint8
        return y.astype(np.uint8)
    return (np.trunc(y).astype(np.int64) & 0xFF).astype(np.uint8)


def _grey_words(img: np.ndarray, words: np.ndarray, start: int, stop: int, alpha: float) -> np.ndarray:
    """The grey diff background of pixels ``start:stop``, computed once per run of equal pixels."""
    px = img.reshape(-1, 4)
    band = words[start:stop]
    n = stop - start
    if n > 1:
        changes = np.flatnonzero(band[1:] != band[:-1])
        if changes.size < n // 2:  # runs of equal pixels: one value per run
            starts = np.empty(changes.size + 1, dtype=np.intp)
            starts[0] = 0
            np.add(changes, 1, out=starts[1:])
            lengths = np.diff(starts, append=n)
            firsts = band[starts]  # a 1-D gather of words is much cheaper than one of pixel rows
            values = _GREY_WORDS[_grey_values(firsts.view(np.uint8).reshape(-1, 4), alpha)]
            return np.repeat(values, lengths)
    grey: np.ndarray = _GREY_WORDS[_grey_values(px[start:stop], alpha)]
    return grey


# ---- colour and brightness deltas -----------------------------------------------------------


def _bytes(words: np.ndarray) -> np.ndarray:
    """The RGBA bytes of 32-bit pixel words: shape (..., 4)."""
    return np.ascontiguousarray(words).view(np.uint8).reshape(*words.shape, 4)


def _checker(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The checkerboard background colour pixelmatch blends against, from the byte offset ``pos``."""
    k = pos.astype(np.float64)
    rb = 48 + 159 * (pos % 2)
    gb = 48 + 159 * (np.trunc(k / _PHI).astype(np.int64) % 2)
    bb = 48 + 159 * (np.trunc(k / _PHI2).astype(np.int64) % 2)
    return rb, gb, bb


def _channel_deltas(
    w1: np.ndarray, w2: np.ndarray, pos: np.ndarray | None, checkerboard: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dr, dg, db (float64) between pixel words ``w1`` and ``w2`` (same shape, or ``w1``
    broadcasting), blended with the background where either pixel is translucent.

    ``pos`` is the byte offset that picks the checkerboard colour (the ``k`` of the JS code),
    shaped like ``w1``."""
    p1, p2 = _bytes(w1), _bytes(w2)
    dr = p1[..., 0].astype(np.int16) - p2[..., 0]
    dg = p1[..., 1].astype(np.int16) - p2[..., 1]
    db = p1[..., 2].astype(np.int16) - p2[..., 2]
    fr, fg, fb = dr.astype(np.float64), dg.astype(np.float64), db.astype(np.float64)
    translucent = (p1[..., 3] < 255) | (p2[..., 3] < 255)
    if translucent.any():
        where = np.nonzero(translucent)
        v1 = np.broadcast_to(p1, (*translucent.shape, 4))[where].astype(np.int32)
        v2 = p2[where].astype(np.int32) if p2.shape[:-1] == translucent.shape else None
        assert v2 is not None
        da = v1[:, 3] - v2[:, 3]
        rb: np.ndarray | int
        gb: np.ndarray | int
        bb: np.ndarray | int
        if checkerboard:
            assert pos is not None
            rb, gb, bb = _checker(np.broadcast_to(pos, translucent.shape)[where])
        else:
            rb = gb = bb = 255
        fr[where] = (v1[:, 0] * v1[:, 3] - v2[:, 0] * v2[:, 3] - rb * da) / 255
        fg[where] = (v1[:, 1] * v1[:, 3] - v2[:, 1] * v2[:, 3] - gb * da) / 255
        fb[where] = (v1[:, 2] * v1[:, 3] - v2[:, 2] * v2[:, 3] - bb * da) / 255
    return fr, fg, fb


def _brightness(dr: np.ndarray, dg: np.ndarray, db: np.ndarray) -> np.ndarray:
    y = dr * _YR
    y += dg * _YG
    y += db * _YB
    return y


def _color_delta(w1: np.ndarray, w2: np.ndarray, pos: np.ndarray | None, checkerboard: bool) -> np.ndarray:
    """``colorDelta``: the squared YIQ distance, negated where the brightness difference is positive."""
    dr, dg, db = _channel_deltas(w1, w2, pos, checkerboard)
    y = _brightness(dr, dg, db)
    i = dr * _IR
    i -= dg * _IG
    i -= db * _IB
    q = dr * _QR
    q -= dg * _QG
    q += db * _QB
    delta: np.ndarray = 0.5053 * y * y
    i *= 0.299 * i
    q *= 0.1957 * q
    delta += i
    delta += q
    np.negative(delta, out=delta, where=y > 0)
    return delta


def _bound_limit(max_delta: float) -> int:
    """The largest squared RGB distance that cannot exceed ``max_delta`` for opaque pixels.

    The YIQ delta is a quadratic form whose largest eigenvalue is 0.25607814; with 0.2561
    the bound holds with a 1e-4 margin, far above float64 rounding."""
    return max(int(max_delta / _LAMBDA_BOUND), 0)


_LAMBDA_BOUND = 0.2561


# ---- per-band work ------------------------------------------------------------------------


class _Context:
    """The two images in the shapes the vectorised steps need."""

    def __init__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        a32: np.ndarray,
        b32: np.ndarray,
        width: int,
        height: int,
        checkerboard: bool,
        max_delta: float,
    ) -> None:
        self.px1 = a.reshape(-1, 4)
        self.px2 = b.reshape(-1, 4)
        self.a32, self.b32 = a32, b32
        self.a2d = a32.reshape(height, width)
        self.b2d = b32.reshape(height, width)
        self.width, self.height = width, height
        self.checkerboard = checkerboard
        self.max_delta = max_delta
        self.limit = _bound_limit(max_delta)

    def over_threshold(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices in ``start:stop`` whose colour delta exceeds the threshold, with the deltas."""
        a32, b32 = self.a32[start:stop], self.b32[start:stop]
        differ = a32 != b32
        count = int(np.count_nonzero(differ))
        if count == 0:
            return _NO_INDEX, _NO_DELTA
        if count * 8 < stop - start:  # few differ: gather them
            idx = np.flatnonzero(differ)
        else:  # many differ: drop the ones a cheap integer bound proves similar
            p1, p2 = self.px1[start:stop], self.px2[start:stop]
            d2 = p1[:, 0].astype(np.int32)
            d2 -= p2[:, 0]
            d2 *= d2
            for ch in (1, 2):
                d = p1[:, ch].astype(np.int32)
                d -= p2[:, ch]
                d *= d
                d2 += d
            need = d2 > self.limit
            need |= (p1[:, 3] & p2[:, 3]) != 255  # translucent pixels: always the exact delta
            idx = np.flatnonzero(need)
            if idx.size == 0:
                return _NO_INDEX, _NO_DELTA
        w1, w2 = a32[idx], b32[idx]
        idx += start
        delta = _color_delta(w1, w2, idx * 4 if self.checkerboard else None, self.checkerboard)
        over = np.abs(delta) > self.max_delta
        return idx[over], delta[over]

    # -- anti-aliasing -------------------------------------------------------------------------

    def antialiased(self, idx: np.ndarray) -> np.ndarray:
        """For flat indices ``idx``: is the pixel anti-aliasing in either image?"""
        width = self.width
        ys = idx // width
        xs = idx - ys * width
        # the box around the candidates and their neighbours, for the sibling-count maps
        box = (
            max(int(ys.min()) - 1, 0),
            min(int(ys.max()) + 2, self.height),
            max(int(xs.min()) - 1, 0),
            min(int(xs.max()) + 2, width),
        )
        za = _sibling_counts(self.a2d, *box)
        zb = _sibling_counts(self.b2d, *box)
        many = (za > 2) & (zb > 2)  # hasManySiblings in both images
        local = (ys - box[0]) * (box[3] - box[2]) + (xs - box[2])
        result = self._antialiased_in(self.a32, za, many, box, idx, xs, ys, local)
        rest = np.flatnonzero(~result)
        if rest.size:
            result[rest] = self._antialiased_in(self.b32, zb, many, box, idx[rest], xs[rest], ys[rest], local[rest])
        return result

    def _antialiased_in(
        self,
        words: np.ndarray,
        zeros: np.ndarray,
        many: np.ndarray,
        box: tuple[int, int, int, int],
        idx: np.ndarray,
        xs: np.ndarray,
        ys: np.ndarray,
        local: np.ndarray,
    ) -> np.ndarray:
        """pixelmatch's ``antialiased(img, x, y, ...)`` for every index of ``idx`` in one image."""
        width, height = self.width, self.height
        box_width = box[3] - box[2]
        result = np.zeros(idx.size, dtype=bool)
        # A centre with 3+ identical neighbours (the border counting as one) is never
        # anti-aliasing: its count of zero brightness deltas can only be higher.
        todo = np.flatnonzero(zeros[local] <= 2)
        if todo.size == 0:
            return result
        c, x, y, loc = idx[todo], xs[todo], ys[todo], local[todo]
        n = c.size
        offsets = np.array([dy * width + dx for dx, dy in _OFFSETS], dtype=np.intp)[:, None]
        box_offsets = np.array([dy * box_width + dx for dx, dy in _OFFSETS], dtype=np.intp)[:, None]
        neighbours = c + offsets  # (8, n)
        neighbour_loc = loc + box_offsets
        on_border = (x == 0) | (x == width - 1) | (y == 0) | (y == height - 1)
        border = np.flatnonzero(on_border)
        invalid_count: int | np.ndarray = 0  # how many neighbours fall outside the image (an array on the border)
        if border.size:
            # out-of-image neighbours become the centre itself (a zero delta) and are discounted
            bx, by = x[border], y[border]
            missing = np.zeros(border.size, dtype=np.int8)
            for k, (dx, dy) in enumerate(_OFFSETS):
                out = (bx + dx < 0) | (bx + dx >= width) | (by + dy < 0) | (by + dy >= height)
                neighbours[k, border[out]] = c[border[out]]
                neighbour_loc[k, border[out]] = loc[border[out]]
                missing[out] += 1
            invalid_count = np.zeros(n, dtype=np.int8)
            invalid_count[border] = missing
        # The answer is "the darkest or the brightest neighbour has many siblings in both images":
        # without any such neighbour it is no, whatever the brightness deltas are.
        hopeful = np.flatnonzero(many[neighbour_loc].any(axis=0))
        if hopeful.size < n:
            if hopeful.size == 0:
                return result
            todo, c, on_border = todo[hopeful], c[hopeful], on_border[hopeful]
            neighbours, neighbour_loc = neighbours[:, hopeful], neighbour_loc[:, hopeful]
            if isinstance(invalid_count, np.ndarray):
                invalid_count = invalid_count[hopeful]
            n = c.size
        dr, dg, db = _channel_deltas(words[c], words[neighbours], c * 4 if self.checkerboard else None, self.checkerboard)
        delta = _brightness(dr, dg, db)
        zeroes = np.count_nonzero(delta == 0, axis=0) + on_border - invalid_count
        low = np.minimum(delta, 0.0)
        high = np.maximum(delta, 0.0)
        kmin = np.argmin(low, axis=0)  # the first darkest neighbour in visiting order, as in JS
        kmax = np.argmax(high, axis=0)
        cols = np.arange(n)
        candidate = (zeroes <= 2) & (low[kmin, cols] < 0) & (high[kmax, cols] > 0)
        sel = np.flatnonzero(candidate)
        if sel.size:
            darkest = neighbour_loc[kmin[sel], sel]
            brightest = neighbour_loc[kmax[sel], sel]
            result[todo[sel]] = many[darkest] | many[brightest]
        return result


_NO_INDEX = np.empty(0, dtype=np.intp)
_NO_DELTA = np.empty(0, dtype=np.float64)


def _sibling_counts(img2d: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    """For each pixel of the box ``[y0, y1) x [x0, x1)`` (flattened): its identical neighbours,
    plus one when it lies on the image border (pixelmatch's initial ``zeroes``).

    ``hasManySiblings`` is ``count > 2``."""
    height, width = img2d.shape
    # the box grown by one pixel, so the box's own edge pixels see all their neighbours
    r0, r1, c0, c1 = max(y0 - 1, 0), min(y1 + 1, height), max(x0 - 1, 0), min(x1 + 1, width)
    win = img2d[r0:r1, c0:c1]
    h, w = win.shape
    counts = np.zeros((h, w), dtype=np.uint8)
    # each unordered pair of neighbours once: right, down, down-right, down-left
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        if dx >= 0:
            src = (slice(0, h - dy), slice(0, w - dx))
            dst = (slice(dy, h), slice(dx, w))
        else:
            src = (slice(0, h - dy), slice(-dx, w))
            dst = (slice(dy, h), slice(0, w + dx))
        same = win[src] == win[dst]
        counts[src] += same
        counts[dst] += same
    # the border term: once per pixel on any image edge
    on_edge = np.zeros((h, w), dtype=bool)
    if c0 == 0:
        on_edge[:, 0] = True
    if c1 == width:
        on_edge[:, w - 1] = True
    if r0 == 0:
        on_edge[0, :] = True
    if r1 == height:
        on_edge[h - 1, :] = True
    counts += on_edge
    return counts[y0 - r0 : y1 - r0, x0 - c0 : x1 - c0].reshape(-1)


# ---- images of any size -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffResult:
    """The outcome of comparing two images: counts on the (padded) canvas of both."""

    mismatch: int
    width: int  # the canvas: the larger width and height of the two images
    height: int
    size1: tuple[int, int]  # (width, height) of each image
    size2: tuple[int, int]

    @property
    def total(self) -> int:
        return self.width * self.height

    @property
    def ratio(self) -> float:
        return self.mismatch / self.total if self.total else 0.0

    @property
    def padded(self) -> bool:
        """The images differ in size: the area outside their overlap counts as changed."""
        return self.size1 != self.size2

    @property
    def outside(self) -> int:
        """Pixels of the canvas outside the overlap of both images (all counted as changed)."""
        overlap = min(self.size1[0], self.size2[0]) * min(self.size1[1], self.size2[1])
        return self.total - overlap

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"mismatch": self.mismatch, "total": self.total, "ratio": self.ratio}
        if self.padded:
            data["padded"] = {"size1": list(self.size1), "size2": list(self.size2), "canvas": [self.width, self.height]}
        return data


def diff_images(
    img1: np.ndarray, img2: np.ndarray, *, with_output: bool = True, **options: Any
) -> tuple[DiffResult, np.ndarray | None]:
    """``pixelmatch`` for images of any sizes: on the union canvas (both anchored top-left),
    every pixel outside the overlap of the two counts as changed and is drawn in the diff colour.
    Returns the result and the diff image (None without ``with_output``)."""
    a = _as_rgba("img1", img1)
    b = _as_rgba("img2", img2)
    (h1, w1), (h2, w2) = a.shape[:2], b.shape[:2]
    width, height = max(w1, w2), max(h1, h2)
    ow, oh = min(w1, w2), min(h1, h2)
    if (h1, w1) == (h2, w2):
        output = np.zeros_like(a) if with_output else None
        mismatch = pixelmatch(a, b, output, **options)
        return DiffResult(mismatch, width, height, (w1, h1), (w2, h2)), output
    crop1 = np.ascontiguousarray(a[:oh, :ow])
    crop2 = np.ascontiguousarray(b[:oh, :ow])
    inner = np.zeros_like(crop1) if with_output else None
    mismatch = pixelmatch(crop1, crop2, inner, **options)
    result = DiffResult(mismatch + width * height - ow * oh, width, height, (w1, h1), (w2, h2))
    if not with_output:
        return result, None
    output = np.zeros((height, width, 4), dtype=np.uint8)
    output.reshape(-1).view(np.uint32)[:] = _word(options.get("diff_color", (255, 0, 0)))
    output[:oh, :ow] = inner
    return result, output
