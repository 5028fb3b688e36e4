#!/usr/bin/env bash
# Render's buildCommand for the services that run or check the Python agents (render.yaml): the
# agents' interpreter and requirements first, then the Rust binaries.
#
#   1. python3 must exist — checked first, so a runtime without it fails in seconds with this message,
#      not after a ten-minute Rust build. Render's native runtimes (rust included) list python3-pip,
#      python3-dev and python3-setuptools among their build and deploy tools
#      (https://render.com/docs/native-runtimes, "Tools and utilities"); python3-venv is not listed.
#   2. A virtual environment under the repo, agents/.venv, whose interpreter runs every agent
#      (render.healing.toml). Without the venv module's ensurepip (Debian/Ubuntu without python3-venv)
#      the venv is made --without-pip --system-site-packages: the system's pip (python3-pip) is then
#      importable from the venv and installs into the venv, so `agents/.venv/bin/python -m pip` works
#      either way (the fixes' install_command relies on it).
#   3. agents/requirements.txt installed into it (from PyPI; nothing when the file lists nothing).
#   4. Every agent script compiles with that interpreter.
#   5. scripts/build-release.sh builds the named binaries into target/dist/ (static, as everywhere).
#
# The venv lives in the project directory, which Render carries from the build to the running
# service at the same path (/opt/render/project/src), so its absolute paths stay valid.
#
# Usage: scripts/render-build.sh [binary ...]     (binaries as for scripts/build-release.sh)
# Env:   PYTHON           the interpreter to build the venv from (default python3)
#        SKIP_RUST_BUILD  1: reuse target/dist/ as it is (scripts/render-local.sh after a release build)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
venv="agents/.venv"
say() { printf 'render-build: %s\n' "$*"; }

say "1/5 python: looking for $python"
if ! command -v "$python" >/dev/null 2>&1; then
    echo "render-build: error: $python was not found, and the agents are Python programs." >&2
    echo "  On Render: use a native runtime (they all include python3, see docs/deploy-render.md)." >&2
    echo "  Elsewhere: install python3 (Debian/Ubuntu: apt-get install python3 python3-venv) or set PYTHON." >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 8))'; then
    echo "render-build: error: the agents need Python 3.8 or newer, $python is $("$python" -V 2>&1)" >&2
    exit 1
fi
say "    $("$python" -V 2>&1) at $(command -v "$python")"

say "2/5 venv: $venv"
rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
    say "    no ensurepip (python3-venv missing): a venv on the system's pip instead"
    rm -rf "$venv"
    "$python" -m venv --without-pip --system-site-packages "$venv"
fi
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    echo "render-build: error: no pip for $venv/bin/python: install python3-pip (or python3-venv)" >&2
    exit 1
fi
install=("$venv/bin/python" -m pip install --no-input --disable-pip-version-check)

say "3/5 requirements: agents/requirements.txt"
if grep -Eq '^[[:space:]]*[^#[:space:]]' agents/requirements.txt; then
    "${install[@]}" -r agents/requirements.txt
else
    say "    none listed (the agents use the standard library only)"
fi

say "4/5 agents: compiling agents/*.py with $venv/bin/python"
"$venv/bin/python" -m compileall -q agents/*.py

if [[ "${SKIP_RUST_BUILD:-}" == 1 ]]; then
    say "5/5 binaries: SKIP_RUST_BUILD=1, using target/dist/ as it is"
else
    say "5/5 binaries: scripts/build-release.sh $*"
    scripts/build-release.sh "$@"
fi
say "done: agents run with $root/$venv/bin/python"
