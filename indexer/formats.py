"""The index directory's file names and format versions, in one place (what `wenku check` and readers expect).

index/
  CURRENT                      the published generation's number (written last: the one atomic step)
  generations/<n>/             manifest.json (+ semantic-floor.npy): what generation n holds
  segments/<id>/               immutable: segment.json (written last), store.sqlite, keyword-vocab.json,
                               keyword-postings.npz, vectors.faiss, vector-owners.npy, minhash.npy
  tombstones/<id>-<n>.json     passages and articles of segment <id> deleted as of generation n
  dictionaries/<sha>.txt       word lists (user dictionary; user words plus names), content-addressed
  cache/embeddings.sqlite      vectors by text, so rebuilds embed nothing twice
  cache/extracted.sqlite       documents' text by content hash, so rebuilds extract (and OCR) nothing twice
  pending.json, .lock          the watcher's queue; the writer lock
"""

from __future__ import annotations

FORMAT_VERSION = 5  # of the manifest: 4 adds checksums of segment files and tombstones; 5 stores formats and pages
SEGMENT_VERSION = 3  # of segment.json: 2 adds minhash.npy (segments without a version are 1 and have none); 3: each
# article's format, pages and author, each passage's page

CURRENT_FILE = "CURRENT"
GENERATIONS_DIR = "generations"
SEGMENTS_DIR = "segments"
TOMBSTONES_DIR = "tombstones"
DICTIONARY_DIR = "dictionaries"
CACHE_DIR = "cache"
LOCK_FILE = ".lock"
PENDING_FILE = "pending.json"

MANIFEST_FILE = "manifest.json"
FLOOR_FILE = "semantic-floor.npy"

SEGMENT_FILE = "segment.json"
STORE_FILE = "store.sqlite"
VOCAB_FILE = "keyword-vocab.json"
POSTINGS_FILE = "keyword-postings.npz"
VECTORS_FILE = "vectors.faiss"
OWNERS_FILE = "vector-owners.npy"
SIGNATURES_FILE = "minhash.npy"

CACHE_FILE = "embeddings.sqlite"
EXTRACTED_CACHE_FILE = "extracted.sqlite"


def tombstones_name(segment_id: str, generation: int) -> str:
    """The tombstones file of a segment as of a generation."""
    return f"{segment_id}-{generation:06d}.json"
