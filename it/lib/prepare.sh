#!/usr/bin/env bash
# Makes this checkout ready to run the demo and the tests: installs the packages that are missing
# (Debian; nothing when all are present) and builds terway (target/classes + target/lib for bin/terway).
# Idempotent. Run as root: it installs packages, and everything after it builds network namespaces.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [ "$(id -u)" != 0 ]; then
  echo "prepare: must run as root (e.g. sudo bash it/demo.sh): the lab installs packages and creates network namespaces" >&2
  exit 1
fi

packages=(openjdk-17-jdk-headless maven gcc dnsmasq-base iproute2 iputils-ping containernetworking-plugins procps jq)
# The end-to-end suite (it/java/dev/terway/e2e): the image built with podman from a debootstrap base, pods
# made by podman's CNI backend (runc) and containerd's ctr, busybox-static as the pods' image, iptables for
# the portmap plugin's hostPort rules.
packages+=(podman runc containerd debootstrap busybox-static iptables)
missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get > /dev/null; then
    echo "prepare: not a Debian system; install the equivalents of: ${missing[*]}" >&2
    for c in java mvn gcc dnsmasq ip ping bridge pgrep jq podman runc containerd ctr debootstrap busybox iptables; do
      command -v "$c" > /dev/null || { echo "prepare: missing command '$c'" >&2; exit 1; }
    done
  else
    echo "prepare: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

echo "prepare: building terway (mvn package)"
cd "$root"
mvn -B -q -DskipTests package
