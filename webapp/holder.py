"""Holds the app's Searcher: opened once, re-opened only when a new index generation is published."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app, g

from indexer.embed.encoders import Encoder
from indexer.errors import WenkuError
from indexer.index.layout import IndexLayout
from indexer.search.searcher import Searcher


class SearcherHolder:
    """Loads the index and model once; a new generation is opened and prepared off the request path.

    With a positive `reload_interval`, a daemon thread checks CURRENT that often and swaps the new generation in
    once it is fully open (its copy groups found: 2.3 s at 1M passages), so no request waits for it; with 0, each
    request checks (tests that publish and query at once).
    """

    def __init__(self, index_dir: Path, model: str | None, reload_interval: float = 0.5) -> None:
        self.layout = IndexLayout(index_dir)
        self.model = model
        self.reload_interval = reload_interval
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._encoder: Encoder | None = None
        self._error: WenkuError | None = None
        self._refresh()
        if reload_interval > 0:
            threading.Thread(target=self._follow, name="wenku-generation-follower", daemon=True).start()

    def _follow(self) -> None:
        """Check CURRENT every reload_interval seconds for as long as the process runs."""
        tick = threading.Event()
        while not tick.wait(self.reload_interval):
            self.refresh()

    def _refresh(self) -> None:
        """Open the published generation if it differs from the loaded one; keep serving the old one on failure."""
        generation = self.layout.current_generation()
        if self._searcher is not None and self._searcher.manifest.generation == generation:
            return
        try:
            searcher = Searcher.open(self.layout.root, self.model, encoder=self._encoder, previous=self._searcher)
            searcher.view.copies()  # found now, not by the first search that collapses copies
        except WenkuError as exc:
            self._error = exc
            return
        # The model is loaded once per process and reused by every later generation.
        self._encoder = searcher.encoder or self._encoder
        self._searcher, self._error = searcher, None

    def refresh(self) -> None:
        """Pick up a generation this process has just published, without waiting for the next check."""
        with self._lock:
            self._refresh()

    def get(self) -> Searcher:
        """The current searcher; raise the loading error if no index could be opened."""
        if self.reload_interval <= 0:
            self.refresh()
        if self._searcher is None:
            assert self._error is not None
            raise self._error
        return self._searcher


def current_holder() -> SearcherHolder:
    """The holder of the app handling this request."""
    holder: SearcherHolder = current_app.extensions["wenku"]
    return holder


def current_searcher() -> Searcher:
    """The searcher for this request; every use within one request sees the same generation."""
    searcher: Searcher | None = g.get("wenku_searcher")
    if searcher is None:
        searcher = current_holder().get()
        g.wenku_searcher = searcher
        g.wenku_generation = searcher.manifest.generation
    return searcher
