"""File checksums recorded in the manifest, and the checks that readers, writers and `wenku check` make with them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel

from ..errors import IndexCorrupt

# Readers and writers hash every file up to this size (a segment's info, vocabulary, small stores) and check the
# size of bigger ones (postings, vectors of large segments); `wenku check` hashes everything.
QUICK_HASH_BYTES = 16 << 20


class FileSum(BaseModel):
    """Size and SHA-256 of one file of a segment."""

    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sums(directory: Path) -> dict[str, FileSum]:
    """Checksums of every file in a (staged) segment directory."""
    return {path.name: FileSum(size=path.stat().st_size, sha256=sha256_of(path))
            for path in sorted(directory.iterdir()) if path.is_file()}


def verify_files(directory: Path, files: dict[str, FileSum], *, full: bool = False) -> int:
    """Check a segment's files against their recorded sums; return the bytes hashed or raise IndexCorrupt."""
    hashed = 0
    for name, expected in files.items():
        path = directory / name
        try:
            size = path.stat().st_size
        except OSError:
            raise IndexCorrupt(f"segment {directory.name}: {name} is missing") from None
        if size != expected.size:
            raise IndexCorrupt(f"segment {directory.name}: {name} has {size} bytes, the manifest says {expected.size}")
        if full or size <= QUICK_HASH_BYTES:
            if sha256_of(path) != expected.sha256:
                raise IndexCorrupt(f"segment {directory.name}: {name} does not match its checksum")
            hashed += size
    return hashed
