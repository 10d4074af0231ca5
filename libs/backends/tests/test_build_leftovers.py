"""`make images` removes what its builds leave untagged (they filled tens of GB over repeated runs), and
nothing else: an untagged image without our label stays."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from somnia_backends import engine
from somnia_backends.images import BASES

pytestmark = [pytest.mark.integration, pytest.mark.containers]


def _require_base() -> str:
    base = BASES["minimal"].tag
    reason = engine.engine_unavailable_reason()
    if reason is None and not engine.image_exists(base):
        reason = f"{base} not built: run `make images`"
    if reason is not None:
        if os.environ.get("SOMNIA_REQUIRE_BACKENDS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return base


def _build(context: Path, tag: str, base: str, content: str, *, labelled: bool) -> str:
    label = f'LABEL {engine.BUILT_BY_LABEL}="make images"\n' if labelled else ""
    (context / "Dockerfile").write_text(f"FROM {base}\n{label}RUN echo {content} > /built\n")
    engine.call(["build", "--quiet", "-t", tag, str(context)])
    return engine.call(["image", "inspect", "--format", "{{.Id}}", tag]).stdout.strip()


def test_prune_removes_our_replaced_images_and_keeps_tagged_and_foreign_ones(tmp_path: Path) -> None:
    base = _require_base()
    ours = f"localhost/somnia-leftover-test:{uuid.uuid4().hex[:8]}"
    foreign = f"localhost/not-somnia-leftover-test:{uuid.uuid4().hex[:8]}"
    replaced = _build(tmp_path, ours, base, "first", labelled=True)
    current = _build(tmp_path, ours, base, "second", labelled=True)  # `replaced` is now untagged
    foreign_old = _build(tmp_path, foreign, base, "first", labelled=False)
    foreign_new = _build(tmp_path, foreign, base, "second", labelled=False)
    try:
        assert replaced != current and foreign_old != foreign_new
        removed = engine.prune_build_leftovers()
        assert removed >= 1
        assert not engine.image_exists(replaced)
        assert engine.image_exists(current) and engine.image_exists(ours)
        assert engine.image_exists(foreign_old), "an untagged image without our label is not ours to remove"
    finally:
        for image in (ours, foreign, foreign_old):
            engine.call(["rmi", "--force", image], check=False)
