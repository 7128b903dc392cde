"""Answer stage: engines (extractive, LLM), citations and follow-up chat: Hits -> Answer."""
