#!/usr/bin/env bash
# Podman, its OCI runtime and mmdebstrap from Debian's packages, when they are missing (`make images`,
# `make test`). Needs root or passwordless sudo; nothing else is changed on the machine: the settings
# podman needs here are in deploy/containers/containers.conf, which the Makefile points CONTAINERS_CONF at.
set -euo pipefail
# iptables: netavark sets up a build's network with it, and a minimal machine may not have it (a RUN
# step then fails with "netavark: No such file or directory").
packages=(podman buildah runc netavark aardvark-dns mmdebstrap uidmap slirp4netns fuse-overlayfs catatonit iptables)
missing=()
for tool in podman buildah runc mmdebstrap iptables; do
  # iptables lives in /usr/sbin, which a non-root user's PATH may not have.
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} (and what podman needs) from Debian's packages"
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo -n); else
  echo "error: ${missing[*]} missing and neither root nor sudo: install ${packages[*]} with apt" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
