#!/usr/bin/env bash
# Puts Prometheus's promtool where scripts/tools/promtool.ts looks for it, unless
# one is on PATH already or PROMTOOL names one. Debian's `prometheus` package
# ships it; only the binary is extracted from the .deb into the cache, because
# installing the package would also start a Prometheus server on :9090 (its init
# script) on a machine other people share. Needs apt (Debian/Ubuntu); elsewhere
# install promtool from your package manager or build it:
#   go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0
set -euo pipefail

dest="$HOME/.cache/roundhouse/tools/promtool-debian"
if [ -n "${PROMTOOL:-}" ]; then echo "get-promtool: using PROMTOOL=$PROMTOOL"; exit 0; fi
if command -v promtool >/dev/null; then echo "get-promtool: using $(command -v promtool)"; exit 0; fi
if [ -x "$dest/promtool" ]; then echo "get-promtool: using $dest/promtool"; exit 0; fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
  { echo "get-promtool: no apt-get/dpkg-deb here: install promtool (Prometheus) and put it on PATH, or set PROMTOOL" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download drops privileges to _apt, which must be able to write here.
chmod 777 "$work"
# A fresh machine has no package lists yet: update once, then retry.
(cd "$work" && apt-get download -q prometheus >/dev/null 2>&1) ||
  { apt-get update -q >/dev/null && (cd "$work" && apt-get download -q prometheus >/dev/null); }
dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"
mkdir "$dest.partial"
cp "$work/root/usr/bin/promtool" "$dest.partial/promtool"
"$dest.partial/promtool" --version >/dev/null
rm -rf "$dest" && mv "$dest.partial" "$dest"
echo "get-promtool: $("$dest/promtool" --version 2>&1 | head -n1) in $dest"
