"""Storage stage: article catalog, vector store, lexical index, and the Library over them."""
