#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Node 20: the Debian packages
# the builds and tests need, cJSON's C source from Debian's source package (into the
# git-ignored third_party/cjson), and the npm dev dependencies. Safe to run again:
# each step checks first and does nothing when its work is already done.
#
#   scripts/setup.sh [demo|all]
# demo: what building the module and serving the storefront demo need (the wasm
# toolchains; no browser, no sanitizer runtimes, no npm packages: serve.mjs uses Node's
# own modules). all (the default, make test): everything.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-all}
case "$profile" in demo | all) ;; *) echo "setup: unknown profile $profile (demo or all)" >&2; exit 2 ;; esac

need_pkgs=(cmake make clang lld emscripten wasi-libc libclang-rt-14-dev-wasm32 dpkg-dev)
if [ "$profile" = all ]; then
  need_pkgs+=(pkg-config libclang-rt-14-dev chromium clang-format)
fi
missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # No >/dev/null: when apt refuses, its reasons (unmet dependencies) must show.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node 20 or newer. Debian's emscripten depends on Debian's nodejs (18): installing it
# next to a Node 20 that no package provides puts Node 18 first on the PATH.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node 20 or newer is needed, found $(node --version 2>/dev/null || echo none) at $(command -v node || echo nowhere)" >&2
  exit 1
fi

# cJSON source for every build (the same code natively and in wasm).
if [ ! -f third_party/cjson/cJSON.c ]; then
  echo "setup: fetching cJSON source from Debian's source package"
  src_list=/etc/apt/sources.list.d/debian-src.sources
  if [ ! -f "$src_list" ]; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | as_root tee "$src_list" >/dev/null
    else
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | as_root tee /etc/apt/sources.list.d/debian-src.list >/dev/null
    fi
    as_root apt-get update -qq
  fi
  tmp=$(mktemp -d)
  chmod 755 "$tmp"
  (cd "$tmp" && apt-get source -qq cjson >/dev/null 2>&1 || (cd "$tmp" && apt-get source cjson))
  srcdir=$(find "$tmp" -maxdepth 1 -type d -name 'cjson-*' | head -n 1)
  mkdir -p third_party/cjson
  cp "$srcdir/cJSON.c" "$srcdir/cJSON.h" third_party/cjson/
  cp "$srcdir/LICENSE" third_party/cjson/LICENSE
  rm -rf "$tmp"
fi

# npm dev dependencies, pinned by package-lock.json: the tests' (Miniflare, Playwright's
# driver, TypeScript, the benchmark's peers), not the demo's.
if [ "$profile" = all ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
