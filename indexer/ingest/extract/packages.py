"""Zip-based documents (DOCX, EPUB): opened only after checking what they unpack to."""

from __future__ import annotations

import zipfile

from ...errors import ArticleError
from ...settings import ExtractSettings


def check_zip(path: str, settings: ExtractSettings, kind: str) -> zipfile.ZipFile:
    """Open a zip-based document after checking what it unpacks to (a zip bomb claims far more than it holds;
    zipfile never reads past a member's declared size)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArticleError(f"not a readable {kind} (damaged or not a zip package)") from exc
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > settings.max_unpacked_bytes:
        archive.close()
        raise ArticleError(f"{kind} unpacks to {unpacked:,} bytes, over the limit of {settings.max_unpacked_bytes:,} "
                           "(a zip bomb, or an unusually large document)")
    return archive
