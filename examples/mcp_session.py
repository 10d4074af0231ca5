"""An MCP client session with Somnia's MCP server, as a desktop or coding agent would hold one: it starts
`somnia-mcp` over stdio, remembers a fact and recalls it.

    SOMNIA_NAMESPACE=me/assistant/me python examples/mcp_session.py     # against `somnia up`
"""

from __future__ import annotations

import asyncio
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main() -> None:
    server = StdioServerParameters(command=sys.executable, args=["-m", "somnia_mcp"], env=dict(os.environ))
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        print("tools:", ", ".join(t.name for t in (await session.list_tools()).tools))
        await session.call_tool("remember", {"text": "My bike is a blue Brompton, locked at the station."})
        for _ in range(100):
            found = await session.call_tool("recall", {"query": "where is my bike?", "k": 3})
            memories = (found.structuredContent or {}).get("memories", [])
            if memories:
                print("recalled:", memories[0]["text"])
                return
            await asyncio.sleep(0.3)
        print("nothing recalled yet")


if __name__ == "__main__":
    asyncio.run(main())
