"""Stage 2, analysis: the jieba chain (folding, terms, match spans), the user dictionary and word list, and MinHash
signatures for finding syndicated copies."""
