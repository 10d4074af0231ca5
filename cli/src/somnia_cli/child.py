"""A service command run as a child process (the CLI never imports a service): its stderr goes to a
log file, and what it prints on stdout is read as JSON lines (anything else is skipped)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from typing import IO, Any


class JsonLinesChild:
    def __init__(self, command: Sequence[str], env: dict[str, str], log: IO[str]) -> None:
        self._process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, **env}
        )

    def events(self) -> Iterator[dict[str, Any]]:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(event, dict):
                yield event

    def wait(self) -> int:
        return self._process.wait()
