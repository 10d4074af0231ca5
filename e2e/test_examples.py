"""Every example in examples/ runs, as a user would run it, against the real Somnia (and, for the proxy
example, the chat proxy in front of a recording fake upstream: no model runs here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .client_world import NS, World
from .test_chat_proxy import proxied  # noqa: F401 - the proxy in front of a fake upstream

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(world: World, name: str, **extra: str) -> str:
    env = {
        **os.environ,
        "GRPC_ENABLE_FORK_SUPPORT": "false",
        "SOMNIA_NAMESPACE": NS,
        "SOMNIA_API_KEY": world.keys["alice-app"],
        "SOMNIA_CAPTURE_ADDRESS": world.capture,
        "SOMNIA_RECALL_ADDRESS": world.recall,
        **extra,
    }
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fleet_agents_share_what_they_learn(world: World) -> None:
    out = run_example(world, "fleet.py")
    assert "reviewer recalls:" in out and "pool" in out.split("reviewer recalls:")[1]
    assert out.count("starts warm with") == 3


def test_langchain_chain_recalls_into_its_prompt(world: World) -> None:
    out = run_example(world, "langchain_agent.py")
    assert "Porto" in out.split("memories in the prompt:")[1].splitlines()[0]


def test_mcp_session_remembers_and_recalls(world: World) -> None:
    out = run_example(world, "mcp_session.py")
    assert "recalled: My bike is a blue Brompton" in out and "remember" in out


def test_openai_client_through_the_proxy(world: World, proxied: Any) -> None:  # noqa: F811
    client, upstream = proxied
    out = run_example(world, "openai_through_proxy.py", SOMNIA_PROXY_URL=str(client.base_url), MODEL="fake-model")
    assert out.count("assistant: Noted.") == 2
    assert [b["messages"][-1]["content"] for b in upstream.bodies] == [
        "I'm allergic to peanuts, remember that.",
        "Pick a snack for my hike.",
    ]
