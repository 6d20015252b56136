"""Checking an uploaded photo and making its sizes, with Pillow.

Only JPEG, PNG and WebP are opened (Pillow reads dozens of formats; each is attack surface).
The pixel count is read from the header and checked before anything is decoded, so a small
file that would decode into gigabytes (a decompression bomb) is refused unread. Every size is
encoded again from the pixels: nothing of the upload but its picture is kept (no EXIF, so no
GPS position), and its EXIF orientation is applied first.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from bookwell.core.errors import DomainError, ErrorCode

FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
ENCODING: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85},
}
# Each size fits within a square of this many pixels (smaller images are not enlarged).
VARIANTS = (("thumbnail", 320), ("large", 1600))


@dataclass(frozen=True, slots=True)
class Rendered:
    name: str
    width: int
    height: int
    data: bytes


@dataclass(frozen=True, slots=True)
class CheckedImage:
    content_type: str
    extension: str
    width: int
    height: int
    variants: tuple[Rendered, ...]


def invalid_image(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_IMAGE, message, "file")


def too_large(message: str) -> DomainError:
    return DomainError(ErrorCode.IMAGE_TOO_LARGE, message, "file")


def check_image(data: bytes, *, max_pixels: int) -> CheckedImage:
    """The image's sizes, or INVALID_IMAGE / IMAGE_TOO_LARGE. CPU work: run it in a thread."""
    # Pillow's own bomb check (Image.MAX_IMAGE_PIXELS) only raises far above ours; between
    # the two it warns, and ours refuses right after.
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise too_large(f"An image has at most {max_pixels} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise invalid_image("Not a JPEG, PNG or WebP image.") from None
    with image:
        return _checked(image, max_pixels)


def _checked(image: Image.Image, max_pixels: int) -> CheckedImage:
    width, height = image.size
    if width < 1 or height < 1:
        raise invalid_image("The image is empty.")
    if width * height > max_pixels:
        raise too_large(
            f"The image has {width * height} pixels ({width}x{height}); at most {max_pixels}."
        )
    assert image.format is not None  # opened from a file
    content_type, extension = FORMATS[image.format]
    largest = max(size for _, size in VARIANTS)
    if image.format == "JPEG":
        image.draft("RGB", (largest, largest))  # decode at a reduced scale when it can
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        variants = tuple(_render(upright, image.format, name, size) for name, size in VARIANTS)
    except Image.DecompressionBombError:
        raise too_large(f"An image has at most {max_pixels} pixels.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise invalid_image("The image is damaged or truncated.") from None
    oriented = (
        (height, width) if upright.size == (height, width) != (width, height) else (width, height)
    )
    return CheckedImage(content_type, extension, *oriented, variants=variants)


def _render(image: Image.Image, format: str, name: str, size: int) -> Rendered:
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    if format == "JPEG" and copy.mode not in ("RGB", "L"):
        copy = copy.convert("RGB")
    elif format in ("PNG", "WEBP") and copy.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        copy = copy.convert("RGBA")
    out = io.BytesIO()
    copy.save(out, format=format, **ENCODING[format])
    return Rendered(name, copy.width, copy.height, out.getvalue())
