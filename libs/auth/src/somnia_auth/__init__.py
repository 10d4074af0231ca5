"""Identity and access for every Somnia gRPC server: API keys, JWTs and client certificates mapped to
grants (namespace patterns and scopes), checked by one interceptor and one `authorize()` call."""

from somnia_auth.access import CURRENT_ACCESS, Access, authorize, current_principal
from somnia_auth.api_keys import KeyRing, add_key, new_api_key, read_key_file, revoke_key
from somnia_auth.authenticator import Authenticator
from somnia_auth.channels import ClientTls, open_aio_channel, open_channel
from somnia_auth.errors import PermissionDenied, QuotaExceeded, Unauthenticated
from somnia_auth.grants import ANONYMOUS, EVERYTHING, SCOPES, Grant, InvalidGrant, Principal, Scope
from somnia_auth.interceptor import RETRY_AFTER_KEY, AuthInterceptor, refuse_over_quota
from somnia_auth.jwt_tokens import JwtVerifier
from somnia_auth.local import ensure_local_key, local_key_paths, read_local_key
from somnia_auth.quotas import RateLimiter, StorageQuotas
from somnia_auth.security import ServerSecurity
from somnia_auth.settings import AuthSettings, TlsSettings

__all__ = [
    "ANONYMOUS",
    "CURRENT_ACCESS",
    "EVERYTHING",
    "RETRY_AFTER_KEY",
    "SCOPES",
    "Access",
    "AuthInterceptor",
    "AuthSettings",
    "Authenticator",
    "ClientTls",
    "Grant",
    "InvalidGrant",
    "JwtVerifier",
    "KeyRing",
    "PermissionDenied",
    "Principal",
    "QuotaExceeded",
    "RateLimiter",
    "Scope",
    "ServerSecurity",
    "StorageQuotas",
    "TlsSettings",
    "Unauthenticated",
    "add_key",
    "authorize",
    "current_principal",
    "ensure_local_key",
    "local_key_paths",
    "new_api_key",
    "open_aio_channel",
    "open_channel",
    "read_key_file",
    "read_local_key",
    "refuse_over_quota",
    "revoke_key",
]
