"""Legacy word-processor files (.doc, .wps, .rtf, .odt): converted to .docx by LibreOffice when it is installed,
then read as Word documents; without it, skipped with one line saying what to install."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Extracted
from .word import extract_docx

VERSION = "1"
LEGACY_SUFFIXES = (".doc", ".wps", ".rtf", ".odt")


def converter() -> str | None:
    """LibreOffice's command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def extract_legacy(path: str, suffix: str, settings: ExtractSettings) -> Extracted:
    """Convert with LibreOffice (a profile of its own, so conversions can run side by side), then read the .docx."""
    office = converter()
    if office is None:
        raise ArticleError(f"{suffix} files need LibreOffice to convert them, and it is not installed "
                           "(apt-get install libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="wenku-convert-") as work:
        source = Path(work) / f"document{suffix}"
        shutil.copyfile(path, source)
        command = [office, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
                   "--convert-to", "docx", "--outdir", work, str(source)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, errors = process.communicate(timeout=settings.max_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # LibreOffice starts helpers of its own
            process.wait()
            raise ArticleError(f"LibreOffice did not convert the file within {settings.max_seconds:g} s") from None
        converted = Path(work) / "document.docx"
        if process.returncode != 0 or not converted.is_file():
            detail = errors.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {process.returncode}"]
            raise ArticleError(f"LibreOffice could not convert the {suffix} file ({detail[0][:120]})")
        extracted = extract_docx(str(converted), settings)
    return extracted.model_copy(update={"format": suffix.lstrip("."),
                                        "engines": {**extracted.engines, "legacy": VERSION}})
