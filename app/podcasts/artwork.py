"""Square podcast artwork from any cover image (Pillow): RGB JPEG, 1400–3000 px.

Pillow is imported when an artwork is made, not when the web app starts (memory).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, BinaryIO

from app.core.i18n import Message

if TYPE_CHECKING:
    from PIL import Image

MIN_SIDE = 1400
MAX_SIDE = 3000
#: Side of artworks generated when no cover was given.
DEFAULT_SIDE = 1400


class ArtworkError(ValueError):
    """The uploaded file is not an image Pillow can turn into artwork."""


def build_square_artwork(source: BinaryIO) -> tuple[bytes, int]:
    """Crop an image to a centred square, scale it into 1400–3000 px and return (JPEG, side)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(source)
        image = ImageOps.exif_transpose(image)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ArtworkError(
            Message("Ce fichier n'est pas une image lisible (JPEG, PNG ou WebP).")
        ) from exc
    if image.mode in ("RGBA", "LA", "P"):
        # Transparent areas become white rather than black.
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image = image.convert("RGB")
    side = min(image.size)
    target = max(MIN_SIDE, min(MAX_SIDE, side))
    image = ImageOps.fit(image, (target, target), Image.Resampling.LANCZOS)
    return _jpeg(image), target


def build_placeholder_artwork(title: str, side: int = DEFAULT_SIDE) -> bytes:
    """Draw a plain artwork with the show title, for shows created without a cover."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (side, side), (46, 94, 62))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=side // 14)
    words, lines, line = title.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > side * 0.8 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    y = side // 2 - len(lines) * side // 28
    for text in lines[:6]:
        width = draw.textlength(text, font=font)
        draw.text(((side - width) / 2, y), text, fill=(250, 246, 230), font=font)
        y += side // 12
    return _jpeg(image)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True, dpi=(72, 72))
    return out.getvalue()
