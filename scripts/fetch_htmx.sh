#!/usr/bin/env bash
# Fetch the pinned htmx release and its SSE extension from the npm registry, verify each
# tarball's checksum and place them in static/vendor/. Neither is committed; a mismatch
# stops setup loudly and installs nothing.
set -euo pipefail

HTMX_VERSION="2.0.11"
HTMX_TARBALL_SHA256="165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e"
# The pages' live updates (web/streaming/pages.py) connect through this extension.
HTMX_SSE_VERSION="2.2.4"
HTMX_SSE_TARBALL_SHA256="90b46f5ab915ba2f64e6348448c8dba509277a47e15c125ffb65754eb4f6b5dc"

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE VERSION SHA256 FILE-IN-TARBALL TARGET-NAME
fetch() {
  local package="$1" version="$2" sha256="$3" file="$4" name="$5"
  local target="$root/static/vendor/$name"
  local stamp="$root/static/vendor/.$name-$version-$sha256"
  if [[ -f "$target" && -f "$stamp" ]]; then
    return 0
  fi
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  local tarball="$work/$package-$version.tgz"
  local actual
  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [[ "$actual" != "$sha256" ]]; then
    echo "ERROR: $package@$version checksum mismatch" >&2
    echo "  expected $sha256" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  rm -rf "$work/package"
  tar -xzf "$tarball" -C "$work" "package/$file"
  mkdir -p "$(dirname "$target")"
  rm -f "$root/static/vendor/.$name-"*
  cp "$work/package/$file" "$target"
  touch "$stamp"
  echo "$package $version installed at static/vendor/$name (sha256 verified)"
}

fetch htmx.org "$HTMX_VERSION" "$HTMX_TARBALL_SHA256" dist/htmx.min.js htmx.min.js
fetch htmx-ext-sse "$HTMX_SSE_VERSION" "$HTMX_SSE_TARBALL_SHA256" dist/sse.min.js htmx-ext-sse.js
