"""Search: query slots, BM25 and dense retrieval, fusion, and the pipeline that ranks with them."""
