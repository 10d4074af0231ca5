"""Thin synchronous gRPC clients for the CLI (the wire names of roles and signals are the SDK's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from somnia.capture.v1 import capture_pb2, capture_pb2_grpc
from somnia.recall.v1 import recall_pb2, recall_pb2_grpc
from somnia_auth import ClientTls, open_channel, read_local_key
from somnia_client.messages import ROLES, feedback_request, recall_request, timestamp, wake_request, warm_request

from somnia_cli.settings import CliSettings

LAYER_NAMES = {
    recall_pb2.LAYER_L1_IMMEDIATE: "L1 immediate",
    recall_pb2.LAYER_L2_SESSION: "L2 session",
    recall_pb2.LAYER_L3_DOMAIN: "L3 domain",
    recall_pb2.LAYER_L4_STRATEGIC: "L4 strategic",
}


def make_turn(
    *,
    role: str,
    content: str,
    occurred_at: datetime | None = None,
    turn_id: str = "",
    tool_name: str = "",
    tool_arguments_json: str = "",
    tool_result: str = "",
    speaker: str = "",
) -> capture_pb2.Turn:
    turn = capture_pb2.Turn(turn_id=turn_id, role=ROLES[role], content=content, speaker=speaker)
    if occurred_at is not None:
        turn.occurred_at.CopyFrom(timestamp(occurred_at))
    if tool_name or tool_arguments_json or tool_result:
        turn.tool_call.CopyFrom(
            capture_pb2.ToolCall(name=tool_name, arguments_json=tool_arguments_json, result=tool_result)
        )
    return turn


class SomniaClient:
    def __init__(
        self,
        capture_address: str,
        recall_address: str,
        timeout_s: float = 30.0,
        *,
        token: str = "",
        tls: ClientTls | None = None,
    ) -> None:
        self._capture_channel = open_channel(capture_address, token=token, tls=tls)
        self._recall_channel = open_channel(recall_address, token=token, tls=tls)
        self.capture_stub = capture_pb2_grpc.CaptureServiceStub(self._capture_channel)
        self.recall_stub = recall_pb2_grpc.RecallServiceStub(self._recall_channel)
        self._timeout_s = timeout_s

    def capture(
        self, namespace: str, session_id: str, turns: Sequence[capture_pb2.Turn]
    ) -> capture_pb2.CaptureResponse:
        request = capture_pb2.CaptureRequest(namespace=namespace, session_id=session_id, turns=list(turns))
        response: capture_pb2.CaptureResponse = self.capture_stub.Capture(request, timeout=self._timeout_s)
        return response

    def recall(self, namespace: str, query: str, k: int, **options: Any) -> recall_pb2.RecallResponse:
        """`options` as the SDK's recall_request: token_budget, as_of, valid_at, include_archived,
        include_retracted, timeline, ..."""
        request = recall_request(namespace, query, k, **options)
        response: recall_pb2.RecallResponse = self.recall_stub.Recall(request, timeout=self._timeout_s)
        return response

    def warm_cache(self, namespace: str, session_id: str, **options: Any) -> recall_pb2.WarmCacheResponse:
        """`options` as the SDK's warm_request: agent, opening, tools, budgets, rebuild."""
        request = warm_request(namespace, session_id, **options)
        response: recall_pb2.WarmCacheResponse = self.recall_stub.WarmCache(request, timeout=self._timeout_s)
        return response

    def wake_delta(self, namespace: str, session_id: str, text: str, **options: Any) -> recall_pb2.WakeDeltaResponse:
        """`options` as the SDK's wake_request: token_budget, known, adapters."""
        request = wake_request(namespace, session_id, text, **options)
        response: recall_pb2.WakeDeltaResponse = self.recall_stub.WakeDelta(request, timeout=self._timeout_s)
        return response

    def feedback(self, namespace: str, signal: str, **options: Any) -> recall_pb2.FeedbackResponse:
        """`options` as the SDK's feedback_request: memory_id, session_id, note, evidence_memory_id."""
        request = feedback_request(namespace, signal, **options)
        response: recall_pb2.FeedbackResponse = self.recall_stub.Feedback(request, timeout=self._timeout_s)
        return response

    def forget(
        self,
        namespace: str,
        *,
        memory_id: str = "",
        session_id: str = "",
        subject: str = "",
        entire_namespace: bool = False,
        confirm_namespace: str = "",
        reason: str = "",
    ) -> recall_pb2.ForgetResponse:
        request = recall_pb2.ForgetRequest(namespace=namespace, confirm_namespace=confirm_namespace, reason=reason)
        if memory_id:
            request.memory_id = memory_id
        elif session_id:
            request.session_id = session_id
        elif subject:
            request.subject = subject
        elif entire_namespace:
            request.entire_namespace = True
        # Erasure touches every store and stream: give it longer than a recall.
        response: recall_pb2.ForgetResponse = self.recall_stub.Forget(request, timeout=max(self._timeout_s, 120.0))
        return response

    @classmethod
    def from_settings(cls, settings: CliSettings) -> SomniaClient:
        tls = (
            ClientTls(settings.ca_file, settings.client_cert_file, settings.client_key_file)
            if settings.ca_file is not None
            else None
        )
        token = settings.api_key or read_local_key(settings.auth_dir)
        return cls(settings.capture_address, settings.recall_address, token=token, tls=tls)

    def close(self) -> None:
        self._capture_channel.close()
        self._recall_channel.close()
