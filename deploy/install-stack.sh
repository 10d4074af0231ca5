#!/usr/bin/env bash
# The whole stack in one command: NATS, Weaviate and Neo4j from their official charts, then Somnia.
# Needs helm, kubectl, the three chart repositories added as `nats`, `weaviate`, `neo4j`, and images
# pushed (docs/deploy.md). Usage: deploy/install-stack.sh NAMESPACE REGISTRY TAG
set -euo pipefail
ns=${1:?namespace}; registry=${2:?image registry}; tag=${3:?image tag}
here=$(cd "$(dirname "$0")" && pwd)

kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
if ! kubectl -n "$ns" get secret somnia-neo4j >/dev/null 2>&1; then
  password=$(openssl rand -hex 16)
  kubectl -n "$ns" create secret generic somnia-neo4j --from-literal=password="$password"
  kubectl -n "$ns" create secret generic somnia-neo4j-auth --from-literal=NEO4J_AUTH="neo4j/$password"
fi
helm upgrade --install nats nats/nats -n "$ns" -f "$here/stack/nats-values.yaml" --wait
helm upgrade --install weaviate weaviate/weaviate -n "$ns" -f "$here/stack/weaviate-values.yaml" --wait
helm upgrade --install neo4j neo4j/neo4j -n "$ns" -f "$here/stack/neo4j-values.yaml" --wait
helm upgrade --install somnia "$here/../charts/somnia" -n "$ns" \
  --set image.registry="$registry" --set image.tag="$tag" \
  --set nats.url="nats://nats:4222" --set neo4j.uri="bolt://neo4j:7687" \
  --set weaviate.httpHost=weaviate --set weaviate.grpcHost=weaviate-grpc --wait
echo "Somnia is installed in namespace $ns: kubectl -n $ns port-forward svc/somnia-recall 50052"
