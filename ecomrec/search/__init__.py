"""Search: query understanding now; retrieval, fusion and ranking come with the search issue."""
