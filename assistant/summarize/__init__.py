"""Summary stage: offline (centrality) and LLM summaries of articles and topics, with citations."""
