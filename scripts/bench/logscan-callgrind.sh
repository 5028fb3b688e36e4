#!/usr/bin/env bash
# Log-scanning cost in instructions per byte, ours vs ripgrep, under callgrind: the count is the same
# however loaded the machine is, unlike wall-clock time (see docs/benchmarks.md, "Log scanning").
#
#   scripts/bench/logscan-callgrind.sh [--base REV]
#
# Builds the logscan bench (crates/healing-core/benches/logscan.rs) in release as a tiny out-of-tree crate
# that depends only on healing-core (no dev-dependencies: a fraction of `cargo bench`'s build), runs it on
# one thread (`LOGSCAN_MODE=reader`, one run) and `rg -j1 -c -f patterns.txt` under
# `valgrind --tool=callgrind`, and prints total instructions and instructions per byte, and again for a
# second pass in the same process (ripgrep: the file named twice), whose difference is the steady-state
# cost of one pass without start-up and lazy-DFA warm-up. With `--base REV`
# the same is done for REV in a temporary git worktree (deleted afterwards), for a before/after table.
# Per-function profiles stay in $OUT/callgrind.<name>.out (read them with `callgrind_annotate`).
#
# Env: LOGSCAN_CORPUS (default /tmp/logscan/corpus-128m.log, generated if missing with LOGSCAN_SIZE,
#      default 128MiB), LOGSCAN_SHARED (corpus generator dir), RG (ripgrep binary; default `rg` on PATH),
#      OUT (default /tmp/logscan/callgrind), BENCH_TARGET (cargo target dir, default $OUT/target;
#      removed at the end unless KEEP_TARGET=1).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
base=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --base) base="$2"; shift 2 ;;
    *) echo "usage: $0 [--base REV]" >&2; exit 2 ;;
  esac
done
# shellcheck source=scripts/bench/logscan-env.sh
source "$repo/scripts/bench/logscan-env.sh"
corpus="${LOGSCAN_CORPUS:-/tmp/logscan/corpus-128m.log}"
out="${OUT:-/tmp/logscan/callgrind}"
target="${BENCH_TARGET:-$out/target}"
rg="${RG:-$(command -v rg || true)}"
command -v valgrind > /dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
[[ -x "$rg" ]] || { echo "ripgrep is needed (apt-get install ripgrep, or set RG)" >&2; exit 1; }
mkdir -p "$out"
ensure_corpus "$corpus" "${LOGSCAN_SIZE:-128MiB}"
bytes=$(stat -c %s "$corpus")

# Builds the bench of the checkout at $1 into $out/bench-$2 (release profile as in the workspace).
build_bench() {
  local src="$1" name="$2" crate="$out/crate-$2"
  rm -rf "$crate" && mkdir -p "$crate"
  cp "$src/Cargo.lock" "$crate/Cargo.lock"
  cat > "$crate/Cargo.toml" << EOF
[package]
name = "logscan-bench"
version = "0.0.0"
edition = "2024"
publish = false

[[bin]]
name = "logscan"
path = "$src/crates/healing-core/benches/logscan.rs"

[dependencies]
healing-core = { path = "$src/crates/healing-core" }
serde_json = "1"

[workspace]

$(awk '/^\[/ { keep = ($0 ~ /^\[profile\.release/) } keep' "$src/Cargo.toml")
EOF
  # The workspace profiles keep symbols (no strip), which is all callgrind_annotate needs.
  (cd "$crate" && CARGO_TARGET_DIR="$target" cargo build --release --quiet)
  cp "$target/release/logscan" "$out/bench-$name"
}

# Runs "$@" under callgrind; prints the total instruction count (Ir).
instructions() {
  local name="$1"; shift
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$name.out" "$@" \
    > "$out/stdout.$name.txt" 2> "$out/valgrind.$name.txt"
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out/callgrind.$name.out"
}
# report LABEL IR_ONE_PASS IR_TWO_PASSES
report() {
  printf '%-36s %14s instructions %6.2f per byte; second pass %6.2f per byte\n' "$1" "$2" \
    "$(echo "$2 / $bytes" | bc -l)" "$(echo "($3 - $2) / $bytes" | bc -l)"
}

names=(head)
build_bench "$repo" head
if [[ -n "$base" ]]; then
  before="$out/before-worktree"
  git -C "$repo" worktree remove --force "$before" 2> /dev/null || true
  git -C "$repo" worktree add --detach "$before" "$base" > /dev/null
  build_bench "$before" base
  git -C "$repo" worktree remove --force "$before"
  names=(base head)
fi
[[ "${KEEP_TARGET:-0}" == 1 ]] || rm -rf "$target" "$out"/crate-*

echo "corpus $corpus ($bytes bytes); instruction counts under callgrind (whole process)"
ir=$(instructions rg "$rg" -j1 -c -f "$shared/patterns.txt" "$corpus")
ir2=$(instructions rg2 "$rg" -j1 -c -f "$shared/patterns.txt" "$corpus" "$corpus")
report "ripgrep $("$rg" --version | sed -n '1s/^ripgrep \([^ ]*\).*/\1/p') (-j1, $(cat "$out/stdout.rg.txt") lines)" "$ir" "$ir2"
for name in "${names[@]}"; do
  ir=$(LOGSCAN_CORPUS="$corpus" LOGSCAN_RUNS=1 LOGSCAN_MODE=reader instructions "$name" "$out/bench-$name")
  ir2=$(LOGSCAN_CORPUS="$corpus" LOGSCAN_RUNS=2 LOGSCAN_MODE=reader instructions "$name"2 "$out/bench-$name")
  label="ours $name"
  [[ $name == base ]] && label="ours base ($base)"
  report "$label" "$ir" "$ir2"
  grep -q "incidents .* match$" "$out/stdout.$name.txt" ||
    { echo "ours $name: incidents differ from the manifest:" >&2; cat "$out/stdout.$name.txt" >&2; exit 1; }
done
echo "profiles: callgrind_annotate $out/callgrind.<rg|base|head>.out"
