"""Token counters behind one port."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from somnia_tokens.settings import TokenizerSettings

# Texts whose count is kept: recall counts every item it returns, and the same memories come back
# query after query (counting them again was 3-4% of a recall's CPU). Only texts the size of a memory
# are kept: a warm pack's rendered layers (tens of KB each, new every build) would hold gigabytes.
COUNTS_KEPT = 20_000
KEPT_CHARS = 4_096


class TokenCounter(Protocol):
    @property
    def name(self) -> str: ...

    def count(self, text: str) -> int: ...


class TiktokenCounter:
    def __init__(self, encoding: str) -> None:
        import tiktoken

        self._encoding = tiktoken.get_encoding(encoding)
        self._count = lru_cache(maxsize=COUNTS_KEPT)(self._encode_count)

    @property
    def name(self) -> str:
        return str(self._encoding.name)

    def count(self, text: str) -> int:
        return self._count(text) if len(text) <= KEPT_CHARS else self._encode_count(text)

    def _encode_count(self, text: str) -> int:
        # Special-token text in memories is content, never a control token.
        return len(self._encoding.encode(text, disallowed_special=()))


class HuggingFaceCounter:
    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        if not path.is_file():
            raise FileNotFoundError(f"tokenizer file {path} does not exist (SOMNIA_TOKENIZER_PATH)")
        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._name = f"huggingface:{path.name}"
        self._count = lru_cache(maxsize=COUNTS_KEPT)(self._encode_count)

    @property
    def name(self) -> str:
        return self._name

    def count(self, text: str) -> int:
        return self._count(text) if len(text) <= KEPT_CHARS else self._encode_count(text)

    def _encode_count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


def create_token_counter(settings: TokenizerSettings) -> TokenCounter:
    if settings.kind == "huggingface":
        return HuggingFaceCounter(Path(settings.path))
    return TiktokenCounter(settings.encoding)
