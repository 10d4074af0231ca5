"""Thin synchronous gRPC clients for the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc

ROLES = {
    "user": capture_pb2.ROLE_USER,
    "assistant": capture_pb2.ROLE_ASSISTANT,
    "system": capture_pb2.ROLE_SYSTEM,
    "tool": capture_pb2.ROLE_TOOL,
}


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def make_turn(
    *,
    role: str,
    content: str,
    occurred_at: datetime | None = None,
    turn_id: str = "",
    tool_name: str = "",
    tool_arguments_json: str = "",
    tool_result: str = "",
) -> capture_pb2.Turn:
    turn = capture_pb2.Turn(turn_id=turn_id, role=ROLES[role], content=content)
    if occurred_at is not None:
        turn.occurred_at.CopyFrom(timestamp(occurred_at))
    if tool_name or tool_arguments_json or tool_result:
        turn.tool_call.CopyFrom(
            capture_pb2.ToolCall(name=tool_name, arguments_json=tool_arguments_json, result=tool_result)
        )
    return turn


class SomniaClient:
    def __init__(self, capture_address: str, recall_address: str, timeout_s: float = 30.0) -> None:
        self._capture_channel = grpc.insecure_channel(capture_address)
        self._recall_channel = grpc.insecure_channel(recall_address)
        self.capture_stub = capture_pb2_grpc.CaptureServiceStub(self._capture_channel)
        self.recall_stub = recall_pb2_grpc.RecallServiceStub(self._recall_channel)
        self._timeout_s = timeout_s

    def capture(
        self, namespace: str, session_id: str, turns: Sequence[capture_pb2.Turn]
    ) -> capture_pb2.CaptureResponse:
        request = capture_pb2.CaptureRequest(namespace=namespace, session_id=session_id, turns=list(turns))
        response: capture_pb2.CaptureResponse = self.capture_stub.Capture(request, timeout=self._timeout_s)
        return response

    def recall(self, namespace: str, query: str, k: int) -> recall_pb2.RecallResponse:
        request = recall_pb2.RecallRequest(namespace=namespace, query=query, k=k)
        response: recall_pb2.RecallResponse = self.recall_stub.Recall(request, timeout=self._timeout_s)
        return response

    def close(self) -> None:
        self._capture_channel.close()
        self._recall_channel.close()
