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
- name: SOMNIA_NATS_URL
  value: {{ .Values.nats.url | quote }}
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
