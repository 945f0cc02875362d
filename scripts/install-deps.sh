#!/usr/bin/env bash
# install-deps.sh - installs what fiscalhub needs on Debian bookworm, only what is missing.
#   scripts/install-deps.sh run    build and run (compiler tool chain, libraries, the receipt
#                                  font fonts-dejavu-core, Node.js)
#   scripts/install-deps.sh test   also what the test suite needs (cmocka, PostgreSQL, Chromium,
#                                  poppler-utils, qpdf and zbar-tools for the PDF tests)
#   scripts/install-deps.sh bench  also what bench/ needs (wrk, nginx as the baseline, valgrind)
# Then installs the npm packages of package-lock.json when node_modules is missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

run_pkgs=(gcc make pkg-config python3 meson ninja-build libmicrohttpd-dev libjansson-dev
          libsqlite3-dev libpq-dev libcurl4-openssl-dev libssl-dev libsodium-dev libqrencode-dev curl ca-certificates
          fonts-dejavu-core)
test_pkgs=(libcmocka-dev postgresql chromium util-linux sqlite3 poppler-utils qpdf zbar-tools)
bench_pkgs=(wrk nginx-light valgrind sqlite3 procps iproute2)

want=("${run_pkgs[@]}")
[ "$mode" = test ] && want+=("${test_pkgs[@]}")
[ "$mode" = bench ] && want+=("${bench_pkgs[@]}")
# Node.js: any node >= 18 on PATH will do; otherwise Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: need root to install Debian packages (run as root or install them yourself)" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages at the versions of package-lock.json. `npm install` rather than `npm ci`: npm 11's
# `ci` rejects a lock file that lists other platforms' optional packages (rollup's native builds)
# without their entries, which is how npm itself writes it; `install` installs the locked
# versions and leaves the lock file unchanged.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "install-deps: npm install (locked versions)"
    npm install --no-audit --no-fund --loglevel=error
fi
