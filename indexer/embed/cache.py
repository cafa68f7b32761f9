"""A persistent cache of passage vectors keyed by model fingerprint, prompt and text."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ..formats import CACHE_FILE


class EmbeddingCache:
    """SQLite table of float32 vectors; rebuilding the index never re-embeds text it has seen."""

    def __init__(self, directory: Path, fingerprint: str, prompt: str, dimension: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / CACHE_FILE)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        self.salt = f"{fingerprint}\0{prompt}\0".encode()
        self.dimension = dimension
        self.hits = 0
        self.misses = 0

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(self.salt + text.encode()).digest()

    def embed(self, texts: Sequence[str], encode: Callable[[Sequence[str]], Iterable[np.ndarray]],
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for texts: cached ones read back, the rest computed and stored block by block as `encode`
        yields them (consecutive blocks of vectors for the texts it is given, in order)."""
        out = np.zeros((len(texts), self.dimension), np.float32)
        keys = [self._key(t) for t in texts]
        missing: list[int] = []
        for begin in range(0, len(keys), 500):
            chunk = keys[begin:begin + 500]
            found = dict(self.db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk))
            for offset, key in enumerate(chunk):
                blob = found.get(key)
                if blob is not None and len(blob) == 4 * self.dimension:
                    out[begin + offset] = np.frombuffer(blob, np.float32)
                else:
                    missing.append(begin + offset)
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if progress and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        # Length-sorted batches pad less: the model's cost follows the longest text of each batch.
        missing.sort(key=lambda i: len(texts[i]))
        done = 0
        for vectors in encode([texts[i] for i in missing]) if missing else ():
            rows = missing[done:done + len(vectors)]
            if len(rows) != len(vectors):
                raise ValueError(f"the encoder returned {done + len(vectors)} vectors for {len(missing)} texts")
            out[rows] = vectors
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                    [(keys[i], vectors[j].tobytes()) for j, i in enumerate(rows)])
            done += len(rows)
            if progress:
                progress(len(rows))
        if done != len(missing):
            raise ValueError(f"the encoder returned {done} vectors for {len(missing)} texts")
        return out

    def close(self) -> None:
        """Close the database."""
        self.db.close()
