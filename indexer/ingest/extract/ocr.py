"""OCR of page images with PP-OCRv4 (RapidOCR's ONNX models, in its wheel: nothing is downloaded): text lines with
their boxes, pages turned upright first (90°, 180° and 270° scans and photos)."""

from __future__ import annotations

import importlib.metadata
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Line, PageLines, clean, join_lines

if TYPE_CHECKING:
    from PIL import Image

VERSION = "2"  # 2: no line-by-line direction flips; Chinese quotes
# Detection runs on the page scaled to this longest side (text lines of a 150-dpi page stay ~16 px high); boxes are
# mapped back and recognition reads crops of the full-resolution page (benchmarks/README.md, "OCR").
DETECT_SIDE = 960
# Recognition results below this confidence are noise (stamps, photos, dirt), not text.
MIN_SCORE = 0.5
# A page whose text boxes are mostly taller than wide is turned a quarter; one whose lines mostly read upside down
# (the direction classifier's "180") is turned over.
TALL = 1.5
UPSIDE_DOWN_SHARE = 0.6
_CJK = re.compile(r"[\u3400-\u9fff]")


def engine_version(settings: ExtractSettings) -> str:
    """This OCR's identity for the extraction cache: our version, the engine's, and the resolution pages are read at."""
    try:
        engine = importlib.metadata.version("rapidocr-onnxruntime")
    except importlib.metadata.PackageNotFoundError:
        engine = "unavailable"
    return f"{VERSION}/rapidocr-{engine}/{settings.ocr_dpi}dpi"


class Ocr:
    """One OCR engine per worker process (its models load once, in about a second)."""

    def __init__(self, threads: int = 1) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # an install without it: scans are skipped with this reason
            raise ArticleError(f"OCR is not installed ({exc.name}): pip install rapidocr-onnxruntime") from exc
        # One image per recognition batch: measured faster than batches on 2 cores (padding wastes the work).
        self.engine: Any = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, rec_batch_num=1,
                                    print_verbose=False)

    def _boxes(self, image: np.ndarray) -> list[np.ndarray]:
        """Text-line boxes (four corners each) in the image's pixels, top to bottom."""
        height, width = image.shape[:2]
        scale = min(1.0, DETECT_SIDE / max(height, width))
        small = image
        if scale < 1:
            from PIL import Image

            small = np.asarray(Image.fromarray(image).resize((max(1, round(width * scale)),
                                                              max(1, round(height * scale))), Image.Resampling.BOX))
        boxes, _ = self.engine.text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        return [np.asarray(box, np.float32) / scale for box in self.engine.sorted_boxes(boxes)]

    def _crops(self, image: np.ndarray, boxes: list[np.ndarray]) -> list[np.ndarray]:
        crops: list[np.ndarray] = self.engine.get_crop_img_list(image, boxes)
        return crops

    def _upright(self, image: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The page turned so its lines run left to right, top to bottom, and its text boxes."""
        boxes = self._boxes(image)
        tall = sum(1 for b in boxes if _size(b)[1] > TALL * _size(b)[0])
        if boxes and tall > len(boxes) / 2:
            image = np.ascontiguousarray(np.rot90(image, k=-1))  # a quarter turn clockwise
            boxes = self._boxes(image)
        if boxes:
            sample = sorted(boxes, key=lambda b: -_size(b)[0])[:12]
            _, results, _ = self.engine.text_cls(self._crops(image, sample))
            flipped = sum(1 for label, score in results if label == "180" and score > 0.8)
            if flipped >= UPSIDE_DOWN_SHARE * len(sample):
                image = np.ascontiguousarray(np.rot90(image, k=2))
                boxes = self._boxes(image)
        return image, boxes

    def read(self, picture: Image.Image) -> PageLines:
        """The text lines of a page image, in reading order, with their boxes in the image's pixels."""
        image = np.asarray(picture.convert("RGB"))
        image, boxes = self._upright(image)
        pieces: list[tuple[np.ndarray, str]] = []
        if boxes:
            # No line-by-line direction check once the page is upright: on clean print the classifier calls one line
            # in twenty "upside down" and that line is lost (benchmarks/README.md, "OCR").
            results, _ = self.engine.text_rec(self._crops(image, boxes))
            pieces = [(box, clean(text)) for box, (text, score) in zip(boxes, results)
                      if score >= MIN_SCORE and clean(text)]
        height, width = image.shape[:2]
        return PageLines(_chinese_quotes(_lines(pieces)), float(width), float(height))


def _chinese_quotes(lines: list[Line]) -> list[Line]:
    """ASCII double quotes on a Chinese page as the “” they were printed as (the recogniser has one glyph for all
    three), opening and closing in turn through the page."""
    opened = False
    fixed: list[Line] = []
    for line in lines:
        if '"' not in line.text or not _CJK.search(line.text):
            fixed.append(line)
            continue
        characters = []
        for char in line.text:
            if char == '"':
                char, opened = ("”", False) if opened else ("“", True)
            characters.append(char)
        fixed.append(line._replace(text="".join(characters)))
    return fixed


def _size(box: np.ndarray) -> tuple[float, float]:
    """(width, height) of a four-corner box."""
    return (float(np.linalg.norm(box[0] - box[1])), float(np.linalg.norm(box[0] - box[3])))


def _lines(pieces: list[tuple[np.ndarray, str]]) -> list[Line]:
    """Boxes on one visual line (their vertical extents overlap by half) joined left to right, lines top to bottom."""
    spans = sorted(((float(b[:, 1].min()), float(b[:, 1].max()), float(b[:, 0].min()), float(b[:, 0].max()), t)
                    for b, t in pieces), key=lambda s: (s[0] + s[1]) / 2)
    rows: list[list[tuple[float, float, float, float, str]]] = []
    for span in spans:
        top, bottom = span[0], span[1]
        if rows:
            row_top = min(s[0] for s in rows[-1])
            row_bottom = max(s[1] for s in rows[-1])
            overlap = min(bottom, row_bottom) - max(top, row_top)
            if overlap > 0.5 * min(bottom - top, row_bottom - row_top):
                rows[-1].append(span)
                continue
        rows.append([span])
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda s: s[2])
        text = row[0][4]
        for span in row[1:]:
            text = join_lines(text, span[4])
        lines.append(Line(text, min(s[2] for s in row), min(s[0] for s in row), max(s[3] for s in row),
                          max(s[1] for s in row)))
    return lines
