"""Three agents of one tenant share what they learn: each works in its own sessions under its own agent
id, in the tenant's shared namespace, and each finds what the others captured.

    SOMNIA_NAMESPACE=acme/fleet/team python examples/fleet.py      # against `somnia up`
"""

from __future__ import annotations

import time

from somnia_client import Memory

AGENTS = {
    "planner": "The launch moved to March 3; marketing needs the final copy by February 20.",
    "coder": "The payments service times out above 40 requests a second; raise the pool to 64 connections.",
    "reviewer": "Never merge on Fridays: the on-call rotation is thin on weekends.",
}


def main() -> None:
    with Memory() as memory:  # the namespace, addresses and key come from SOMNIA_* or `somnia up`
        for agent, lesson in AGENTS.items():
            with memory.session(agent=agent, opening=f"{agent} at work") as session:
                session.capture(lesson, role="assistant")
        # The reviewer asks about something only the coder learned.
        deadline = time.monotonic() + 30
        while True:
            found = memory.recall("why do payments time out?", k=3)
            if any("pool" in m.text for m in found) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        for agent in AGENTS:
            with memory.session(agent=agent, opening="what should I know today?") as session:
                print(f"--- {agent} starts warm with {session.warm().token_count} tokens of context")
        print("reviewer recalls:", found.memories[0].text if found.memories else "(nothing)")


if __name__ == "__main__":
    main()
