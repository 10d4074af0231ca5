"""A plain OpenAI-client agent that remembers, with no change but its base URL: it talks to
`somnia-chat-proxy`, which injects memory and captures the conversation.

    SOMNIA_PROXY_URL=http://127.0.0.1:8766/v1 MODEL_API_KEY=... MODEL=... python examples/openai_through_proxy.py
"""

from __future__ import annotations

import os

import openai


def main() -> None:
    client = openai.OpenAI(
        base_url=os.environ.get("SOMNIA_PROXY_URL", "http://127.0.0.1:8766/v1"),
        api_key=os.environ.get("MODEL_API_KEY", "unused-by-a-local-model"),
        default_headers={"X-Somnia-Key": os.environ.get("SOMNIA_API_KEY", "")}
        if os.environ.get("SOMNIA_API_KEY")
        else None,
    )
    model = os.environ.get("MODEL", "gpt-4o-mini")
    first = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "I'm allergic to peanuts, remember that."}]
    )
    print("assistant:", first.choices[0].message.content)
    # A later, separate conversation: the proxy injects what it remembers.
    later = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Pick a snack for my hike."}]
    )
    print("assistant:", later.choices[0].message.content)


if __name__ == "__main__":
    main()
