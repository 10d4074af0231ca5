"""A LangChain chain with long-term memory through the SDK: recall what matters for the question, put it in
the prompt, ask the model, remember the exchange.

The model here is LangChain's FakeListChatModel so the example runs anywhere (no model runs on this
machine); put yours in its place: `ChatOpenAI(model=...)`, `ChatAnthropic(model=...)`, any chat model.

    SOMNIA_NAMESPACE=acme/assistant/alice python examples/langchain_agent.py     # against `somnia up`
"""

from __future__ import annotations

import time

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from somnia_client import Memory, Session

PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a helpful assistant. What you remember about the user:\n{memories}"),
        ("human", "{question}"),
    ]
)


def remembered(memory: Memory) -> Runnable[dict[str, str], str]:
    def lookup(inputs: dict[str, str]) -> str:
        found = memory.recall(inputs["question"], k=5)
        return "\n".join(f"- {m.text}" for m in found) or "- nothing yet"

    return RunnableLambda(lookup)


def build_chain(memory: Memory, model: BaseChatModel) -> Runnable[dict[str, str], str]:
    return RunnablePassthrough.assign(memories=remembered(memory)) | PROMPT | model | StrOutputParser()


def ask(chain: Runnable[dict[str, str], str], session: Session, question: str) -> str:
    answer = chain.invoke({"question": question})
    session.capture(question, role="user")
    session.capture(answer, role="assistant")
    return answer


def main() -> None:
    model = FakeListChatModel(responses=["Noted: you live in Porto.", "Somewhere walkable in Porto, then."])
    with Memory() as memory:
        chain = build_chain(memory, model)
        with memory.session(agent="langchain-assistant", opening="moving") as session:
            print(ask(chain, session, "I just moved to Porto."))
        deadline = time.monotonic() + 30
        while not any("Porto" in m.text for m in memory.recall("where does the user live?", k=3)):
            if time.monotonic() > deadline:
                break
            time.sleep(0.3)
        with memory.session(agent="langchain-assistant", opening="weekend") as session:
            print("memories in the prompt:", remembered(memory).invoke({"question": "where do I live?"}))
            print(ask(chain, session, "Where should I go this weekend?"))


if __name__ == "__main__":
    main()
