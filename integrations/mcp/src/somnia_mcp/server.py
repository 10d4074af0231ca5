"""The MCP surface: tools, a resource and a prompt, each a thin call through the SDK. Somnia's refusals
come back as tool errors carrying Somnia's own message."""

from __future__ import annotations

from typing import Literal

from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from pydantic import BaseModel
from somnia_client import AsyncMemory, ClientSettings, SomniaError
from somnia_client.messages import known_ids

from somnia_mcp.callers import Callers, MissingCredentials
from somnia_mcp.settings import McpSettings

INSTRUCTIONS = (
    "Somnia is your long-term memory. At the start of a task call warm_context with what the user asked, "
    "to know what you should already know. Call remember for facts, preferences, decisions and outcomes "
    "worth keeping; recall before answering anything that depends on the past; feedback when a memory "
    "helped, misled you or turned out false; forget when the user asks you to."
)


class RecalledItem(BaseModel):
    memory_id: str
    text: str
    session_id: str
    occurred_at: str
    # `asserted` while nothing is known against it; else superseded, disproven, retracted,
    # deleted_by_user, uncertain, downgraded, or current (a plan whose condition came true).
    status: str
    # Why the status is not asserted, and the memory that changed it.
    status_reason: str = ""
    changed_by: str = ""
    why: str


class Recalled(BaseModel):
    memories: list[RecalledItem]
    answer_may_be_absent: bool


def create_server(settings: McpSettings, client: ClientSettings) -> tuple[FastMCP, Callers]:
    if not client.namespace:
        raise ValueError("set SOMNIA_NAMESPACE (tenant/agent/user): the MCP server serves one namespace")
    callers = Callers(settings, client)
    mcp = FastMCP(
        "somnia",
        instructions=INSTRUCTIONS,
        host=settings.host,
        port=settings.port,
        streamable_http_path=settings.path,
    )

    def memory(ctx: Context) -> AsyncMemory:  # type: ignore[type-arg]
        try:
            return callers.memory_for(ctx.request_context.request)
        except MissingCredentials as exc:
            raise ToolError(str(exc)) from exc

    async def session_of(ctx: Context, opening: str = "") -> str:  # type: ignore[type-arg]
        """This MCP session's Somnia session, started on first use."""
        key = id(ctx.request_context.session)
        if key not in callers.sessions:
            callers.sessions[key] = await memory(ctx).start_session(agent=settings.agent, opening=opening)
        return callers.sessions[key]

    @mcp.tool()
    async def remember(text: str, ctx: Context, role: Literal["user", "assistant"] = "user") -> str:  # type: ignore[type-arg]
        """Keep something worth remembering (a fact, preference, decision or outcome), said by the user or you."""
        try:
            ack = await memory(ctx).capture(await session_of(ctx), text, role=role)
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        return f"remembered ({ack.turn_id}{', already known' if ack.duplicate else ''})"

    @mcp.tool()
    async def recall(
        query: str,
        ctx: Context,  # type: ignore[type-arg]
        k: int = settings.default_k,
        timeline: bool = False,
        include_retracted: bool = False,
    ) -> Recalled:
        """Find what is remembered about `query`, best first (oldest first with `timeline`, for a history
        such as "where have I lived?"); a status other than asserted means it may not hold. What the user
        took back is left out unless `include_retracted`."""
        try:
            found = await memory(ctx).recall(query, k=k, timeline=timeline, include_retracted=include_retracted)
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        return Recalled(
            memories=[
                RecalledItem(
                    memory_id=m.memory_id,
                    text=m.text,
                    session_id=m.session_id,
                    occurred_at=m.occurred_at.isoformat() if m.occurred_at else "",
                    status=m.status,
                    status_reason=m.status_reason,
                    changed_by=m.changed_by,
                    why=m.why,
                )
                for m in found
            ],
            answer_may_be_absent=found.answer_may_be_absent,
        )

    @mcp.tool()
    async def warm_context(ctx: Context, opening: str = "") -> str:  # type: ignore[type-arg]
        """What you should already know for this task, under a token budget; pass what the user asked as `opening`."""
        try:
            context = await memory(ctx).warm(await session_of(ctx, opening), agent=settings.agent, opening=opening)
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        return context.rendered or "Nothing is remembered yet for this user."

    @mcp.tool()
    async def whats_new(turn: str, ctx: Context) -> str:  # type: ignore[type-arg]
        """After the user says something: what it brings back from earlier sessions that you were not given
        yet in this session (never the same memory twice). Pass the user's words as `turn`."""
        held = callers.held_by(id(ctx.request_context.session))
        try:
            delta = await memory(ctx).wake(await session_of(ctx), turn, known=known_ids(held))
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        held.update(dict.fromkeys(m.memory_id for m in delta.memories))
        return delta.rendered or "Nothing new to add from memory."

    @mcp.tool()
    async def feedback(
        memory_id: str,
        signal: Literal["helped", "misled", "succeeded", "failed", "disproven", "retracted", "checked_absent"],
        ctx: Context,  # type: ignore[type-arg]
        note: str = "",
    ) -> str:
        """Say what a recalled memory was worth (helped, misled, succeeded, failed, disproven, retracted...)."""
        try:
            feedback_id = await memory(ctx).feedback(memory_id, signal, note=note, session_id=await session_of(ctx))
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        return f"recorded {signal} ({feedback_id})"

    @mcp.tool()
    async def forget(ctx: Context, memory_id: str = "", session_id: str = "", subject: str = "") -> str:  # type: ignore[type-arg]
        """Erase every copy of one memory, one session or a subject (name or topic) on request; give exactly one."""
        target = {k: v for k, v in (("memory_id", memory_id), ("session_id", session_id), ("subject", subject)) if v}
        if len(target) != 1:
            raise ToolError("give exactly one of memory_id, session_id or subject")
        try:
            report = await memory(ctx).forget(reason="asked through MCP", **target)
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        if report.already_forgotten:
            return "already forgotten"
        return f"forgotten: {report.memories} memories erased (audit {report.audit_id})"

    @mcp.resource("somnia://warm-context", mime_type="text/markdown")
    async def warm_resource() -> str:
        """The warm context of the current session: what the agent should know."""
        ctx = mcp.get_context()
        try:
            context = await memory(ctx).warm(await session_of(ctx), agent=settings.agent)
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        return context.rendered

    @mcp.prompt()
    async def answer_with_memory(question: str) -> str:
        """The question, with what Somnia remembers about it, for the model to answer from."""
        ctx = mcp.get_context()
        try:
            found = await memory(ctx).recall(question, k=settings.default_k)
        except SomniaError as exc:
            raise ToolError(exc.details) from exc
        remembered = "\n".join(f"- {m.text}" + (f" ({m.status})" if m.status else "") for m in found)
        return (
            f"What you remember that may bear on this (from Somnia):\n{remembered or '- nothing yet'}\n\n"
            f"Question: {question}\nAnswer from these memories where they hold; say so where they do not."
        )

    return mcp, callers
