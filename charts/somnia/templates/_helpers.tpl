{{- define "somnia.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "somnia.labels" -}}
app.kubernetes.io/part-of: somnia
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "somnia.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "somnia.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "somnia.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "somnia.image" -}}
{{- $img := .root.Values.image -}}
{{- $repo := printf "%s%s" $img.repositoryPrefix .name -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $repo }}{{ end -}}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/* Environment shared by every component: where NATS, Weaviate, Neo4j and the collector are. */}}
{{- define "somnia.commonEnv" -}}
- name: SOMNIA_GRPC_HOST
  value: "0.0.0.0"
{{- if .Values.weaviate.enabled }}
- name: SOMNIA_STORE_KIND
  value: weaviate
- name: SOMNIA_STORE_WEAVIATE_HTTP_HOST
  value: {{ .Values.weaviate.httpHost | quote }}
- name: SOMNIA_STORE_WEAVIATE_HTTP_PORT
  value: {{ .Values.weaviate.httpPort | quote }}
- name: SOMNIA_STORE_WEAVIATE_GRPC_HOST
  value: {{ .Values.weaviate.grpcHost | quote }}
- name: SOMNIA_STORE_WEAVIATE_GRPC_PORT
  value: {{ .Values.weaviate.grpcPort | quote }}
- name: SOMNIA_STORE_WEAVIATE_COLLECTION
  value: {{ .Values.weaviate.collection | quote }}
{{- if or .Values.weaviate.apiKey.value .Values.weaviate.apiKey.existingSecret }}
- name: SOMNIA_STORE_WEAVIATE_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default (printf "%s-credentials" (include "somnia.fullname" .)) .Values.weaviate.apiKey.existingSecret }}
      key: {{ ternary .Values.weaviate.apiKey.existingSecretKey "weaviate-api-key" (ne .Values.weaviate.apiKey.existingSecret "") }}
{{- end }}
{{- end }}
{{- if .Values.neo4j.enabled }}
- name: SOMNIA_GRAPH_KIND
  value: neo4j
- name: SOMNIA_GRAPH_NEO4J_URI
  value: {{ .Values.neo4j.uri | quote }}
- name: SOMNIA_GRAPH_NEO4J_USER
  value: {{ .Values.neo4j.user | quote }}
- name: SOMNIA_GRAPH_NEO4J_DATABASE
  value: {{ .Values.neo4j.database | quote }}
- name: SOMNIA_GRAPH_NEO4J_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (printf "%s-credentials" (include "somnia.fullname" .)) .Values.neo4j.password.existingSecret }}
      key: {{ ternary .Values.neo4j.password.existingSecretKey "neo4j-password" (ne .Values.neo4j.password.existingSecret "") }}
{{- end }}
{{- if .Values.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.otel.endpoint | quote }}
{{- end }}
{{- end -}}

{{/* The TLS Secret: given, or the one cert-manager writes. */}}
{{- define "somnia.tlsSecret" -}}
{{- default (printf "%s-tls" (include "somnia.fullname" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{/* Environment of the public APIs: how callers are authenticated, and TLS. */}}
{{- define "somnia.securityEnv" -}}
{{- $auth := .Values.auth -}}
- name: SOMNIA_AUTH_MODE
  value: {{ $auth.mode | quote }}
{{- if $auth.apiKeys.existingSecret }}
- name: SOMNIA_AUTH_API_KEYS_FILE
  value: /etc/somnia/auth/api-keys/{{ $auth.apiKeys.existingSecretKey }}
{{- end }}
{{- if or $auth.jwt.jwksUrl $auth.jwt.jwksExistingSecret }}
- name: SOMNIA_AUTH_JWT_ISSUER
  value: {{ $auth.jwt.issuer | quote }}
- name: SOMNIA_AUTH_JWT_AUDIENCE
  value: {{ $auth.jwt.audience | quote }}
- name: SOMNIA_AUTH_JWT_NAMESPACES_CLAIM
  value: {{ $auth.jwt.namespacesClaim | quote }}
- name: SOMNIA_AUTH_JWT_SCOPES_CLAIM
  value: {{ $auth.jwt.scopesClaim | quote }}
{{- if $auth.jwt.jwksUrl }}
- name: SOMNIA_AUTH_JWKS_URL
  value: {{ $auth.jwt.jwksUrl | quote }}
{{- else }}
- name: SOMNIA_AUTH_JWKS_FILE
  value: /etc/somnia/auth/jwks/{{ $auth.jwt.jwksExistingSecretKey }}
{{- end }}
{{- end }}
{{- if $auth.clientCerts.existingSecret }}
- name: SOMNIA_AUTH_CLIENT_CERTS_FILE
  value: /etc/somnia/auth/client-certs/{{ $auth.clientCerts.existingSecretKey }}
{{- end }}
- name: SOMNIA_AUTH_CALLER_RATE
  value: {{ $auth.rateLimits.callerRate | quote }}
- name: SOMNIA_AUTH_CALLER_BURST
  value: {{ $auth.rateLimits.callerBurst | quote }}
- name: SOMNIA_AUTH_NAMESPACE_RATE
  value: {{ $auth.rateLimits.namespaceRate | quote }}
- name: SOMNIA_AUTH_NAMESPACE_BURST
  value: {{ $auth.rateLimits.namespaceBurst | quote }}
{{- if .Values.tls.enabled }}
- name: SOMNIA_TLS_CERT_FILE
  value: /etc/somnia/tls/tls.crt
- name: SOMNIA_TLS_KEY_FILE
  value: /etc/somnia/tls/tls.key
- name: SOMNIA_TLS_HEALTH_PORT
  value: {{ .Values.tls.healthPort | quote }}
{{- if .Values.tls.requireClientCert }}
- name: SOMNIA_TLS_CLIENT_CA_FILE
  value: /etc/somnia/tls/ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{/* The Secrets the public APIs read, mounted as files (a rotated Secret is picked up without a restart). */}}
{{- define "somnia.securityVolumes" -}}
{{- $auth := .Values.auth -}}
{{- if $auth.apiKeys.existingSecret }}
- {name: api-keys, secret: {secretName: {{ $auth.apiKeys.existingSecret | quote }}}}
{{- end }}
{{- if and $auth.jwt.jwksExistingSecret (not $auth.jwt.jwksUrl) }}
- {name: jwks, secret: {secretName: {{ $auth.jwt.jwksExistingSecret | quote }}}}
{{- end }}
{{- if $auth.clientCerts.existingSecret }}
- {name: client-certs, secret: {secretName: {{ $auth.clientCerts.existingSecret | quote }}}}
{{- end }}
{{- if .Values.tls.enabled }}
- {name: tls, secret: {secretName: {{ include "somnia.tlsSecret" . | quote }}}}
{{- end }}
{{- end -}}

{{- define "somnia.securityMounts" -}}
{{- $auth := .Values.auth -}}
{{- if $auth.apiKeys.existingSecret }}
- {name: api-keys, mountPath: /etc/somnia/auth/api-keys, readOnly: true}
{{- end }}
{{- if and $auth.jwt.jwksExistingSecret (not $auth.jwt.jwksUrl) }}
- {name: jwks, mountPath: /etc/somnia/auth/jwks, readOnly: true}
{{- end }}
{{- if $auth.clientCerts.existingSecret }}
- {name: client-certs, mountPath: /etc/somnia/auth/client-certs, readOnly: true}
{{- end }}
{{- if .Values.tls.enabled }}
- {name: tls, mountPath: /etc/somnia/tls, readOnly: true}
{{- end }}
{{- end -}}

{{/* NATS for one NATS user (`user`): with nats.auth on, the user's password from the Secret, spliced into
the URL by Kubernetes' $(VAR) expansion; the server side is the nats-authorization ConfigMap. */}}
{{- define "somnia.natsEnv" -}}
{{- $nats := .root.Values.nats -}}
{{- if $nats.auth.enabled }}
{{- $url := splitn "://" 2 $nats.url }}
- name: SOMNIA_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $nats.auth.existingSecret | quote }}
      key: {{ .user | quote }}
- name: SOMNIA_NATS_URL
  value: {{ printf "%s://%s:$(SOMNIA_NATS_PASSWORD)@%s" $url._0 .user $url._1 | quote }}
{{- else }}
- name: SOMNIA_NATS_URL
  value: {{ $nats.url | quote }}
{{- end }}
{{- end -}}

{{/* The volume datasets and adapters live on: an existing claim, or the chart's own. */}}
{{- define "somnia.parametricClaim" -}}
{{- default (printf "%s-parametric" (include "somnia.fullname" .)) .Values.parametric.persistence.existingClaim -}}
{{- end -}}

{{/* dreaming's settings for training as Kubernetes Jobs (somnia_dreaming/parametric/settings.py). */}}
{{- define "somnia.parametricEnv" -}}
{{- $root := .root -}}
{{- $p := $root.Values.parametric -}}
- name: SOMNIA_PARAMETRIC_LAUNCHER
  value: kubernetes
- name: SOMNIA_PARAMETRIC_DATA_DIR
  value: {{ $p.mountPath | quote }}
- name: SOMNIA_PARAMETRIC_BASE_MODEL
  value: {{ $p.baseModel | quote }}
- name: SOMNIA_PARAMETRIC_JOB_IMAGE
  value: {{ default (include "somnia.image" (dict "root" $root "name" "trainer")) $p.image | quote }}
- name: SOMNIA_PARAMETRIC_JOB_CLAIM
  value: {{ include "somnia.parametricClaim" $root | quote }}
- name: SOMNIA_PARAMETRIC_JOB_NODE_SELECTOR
  value: {{ $p.nodeSelector | toJson | quote }}
- name: SOMNIA_PARAMETRIC_JOB_TOLERATIONS
  value: {{ $p.tolerations | toJson | quote }}
- name: SOMNIA_PARAMETRIC_JOB_RESOURCES
  value: {{ $p.resources | toJson | quote }}
- name: SOMNIA_PARAMETRIC_TIMEOUT_S
  value: {{ $p.timeoutSeconds | quote }}
- name: SOMNIA_PARAMETRIC_JOB_TTL_S
  value: {{ $p.ttlSecondsAfterFinished | quote }}
- name: SOMNIA_PARAMETRIC_JOB_BACKOFF_LIMIT
  value: {{ $p.backoffLimit | quote }}
{{- range $key, $value := $p.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}
