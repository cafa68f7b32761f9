"""Scans and photos (PNG, JPEG, TIFF with several pages, BMP, WebP): each page OCR'd, phone photos turned as their
camera recorded, decompression bombs refused before they are decoded."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Extracted, PageLines, TextBuilder
from .ocr import Ocr, engine_version
from .paragraphs import write_pages

VERSION = "2"  # 2: paragraph ends need a sentence end or a clearly short line
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


def extract_image(path: str, settings: ExtractSettings, ocr: Callable[[], Ocr],
                  progress: Callable[[int], None]) -> Extracted:
    """OCR every page (frame) of an image file."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    if not settings.ocr:
        raise ArticleError("an image needs OCR, which is off")
    Image.MAX_IMAGE_PIXELS = settings.max_pixels
    pages: list[PageLines] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > settings.max_pages:
                    raise ArticleError(f"image has {frames} pages, over the limit of {settings.max_pages}")
                for frame in ImageSequence.Iterator(image):
                    if frame.width * frame.height > settings.max_pixels:
                        raise ArticleError(f"image is {frame.width}×{frame.height} pixels, over the limit of "
                                           f"{settings.max_pixels:,}")
                    upright = ImageOps.exif_transpose(frame.convert("RGB"))
                    pages.append(ocr().read(upright))
                    progress(1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ArticleError(f"image too large to decode safely ({str(exc).split('.')[0]})") from exc
    except UnidentifiedImageError as exc:
        raise ArticleError("not a readable image (corrupt or of an unknown kind)") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or damaged data, found while decoding
        raise ArticleError(f"damaged image: {exc}") from exc
    builder = TextBuilder()
    write_pages(pages, builder)
    if builder.empty:
        raise ArticleError("no legible text in the image")
    return Extracted(format="image", text=builder.text(), pages=builder.pages if len(pages) > 1 else [],
                     ocr_pages=len(pages), engines={"image": VERSION, "ocr": engine_version(settings)})
