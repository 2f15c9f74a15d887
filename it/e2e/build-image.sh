#!/usr/bin/env bash
# Builds the terway image from the Containerfile the way an operator without a registry would: a Debian 12
# base made with debootstrap from this machine's apt mirror, then `podman build`. As root.
#
#   it/e2e/build-image.sh DIR TAG [SOURCE-DIR]
#
# DIR holds podman's private configuration and storage (it/e2e/podman-env.sh); the base image is made
# once per DIR. SOURCE-DIR (default: this checkout) is the build context. CAs this machine trusts beyond
# Debian's (/usr/local/share/ca-certificates, e.g. a TLS-intercepting proxy in front of Maven Central) go
# to the build as EXTRA_CA_CERTS; E2E_MAVEN_MIRROR, when set, as MAVEN_MIRROR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: build-image.sh DIR TAG [SOURCE-DIR]}
tag=${2:?usage: build-image.sh DIR TAG [SOURCE-DIR]}
context=${3:-$(cd "$here/../.." && pwd)}
base=localhost/terway-e2e/debian:bookworm
# shellcheck source=podman-env.sh
. "$here/podman-env.sh"
e2e_podman_env "$dir"

# The Debian mirror apt uses here (deb822 or one-line sources), so the base needs nothing else.
apt_mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

if ! podman image exists "$base"; then
  rootfs=$(mktemp -d "$dir/rootfs-XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  mirror=$(apt_mirror)
  echo "build-image: debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$dir/debootstrap.log" 2>&1 \
    || { tail -n 20 "$dir/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -c . | podman import --quiet - "$base" > /dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

ca=""
for f in /usr/local/share/ca-certificates/*.crt; do
  [ -f "$f" ] && ca+="$(cat "$f")"$'\n'
done
echo "build-image: podman build $tag from $context"
podman build --quiet --network host --pull=never \
  --build-arg DEBIAN_IMAGE="$base" --build-arg DEBIAN_SLIM_IMAGE="$base" \
  --build-arg EXTRA_CA_CERTS="$ca" --build-arg MAVEN_MIRROR="${E2E_MAVEN_MIRROR:-}" \
  -t "$tag" -f "$context/Containerfile" "$context"
