"""Retrieval stage: retrievers and post-processors (fusion, MMR, recency): Query -> Hits."""
