"""Stage 5, searching: requests answered from a generation's view (retrieval, fusion), then hydrated into hits with
highlights, citations and facets; browsing, export and evaluation."""
