"""Ingest stage: loaders (files, URLs), cleaning, chunking: source -> Article -> Chunks."""
