#!/usr/bin/env bash
# Fetch the pinned htmx release from the npm registry, verify its checksum and place
# static/vendor/htmx.min.js. htmx is never committed; a mismatch stops setup loudly.
set -euo pipefail

HTMX_VERSION="2.0.11"
HTMX_TARBALL_SHA256="165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e"

root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/static/vendor/htmx.min.js"
stamp="$root/static/vendor/.htmx-$HTMX_VERSION-$HTMX_TARBALL_SHA256"
if [[ -f "$target" && -f "$stamp" ]]; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null)
tarball="$work/htmx.org-$HTMX_VERSION.tgz"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
if [[ "$actual" != "$HTMX_TARBALL_SHA256" ]]; then
  echo "ERROR: htmx.org@$HTMX_VERSION checksum mismatch" >&2
  echo "  expected $HTMX_TARBALL_SHA256" >&2
  echo "  got      $actual" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist/htmx.min.js
mkdir -p "$(dirname "$target")"
rm -f "$root"/static/vendor/.htmx-*
cp "$work/package/dist/htmx.min.js" "$target"
touch "$stamp"
echo "htmx $HTMX_VERSION installed at static/vendor/htmx.min.js (sha256 verified)"
