# Sourced by the logscan benchmarks: finds the shared corpus generator and makes a corpus if missing.
# Sets `shared` (from LOGSCAN_SHARED, else <repo>/../shared/bench/logscan); expects `repo` to be set.

shared="${LOGSCAN_SHARED:-$repo/../shared/bench/logscan}"
# A git worktree under <root>/wt/<name> sits one level deeper than the main checkout.
[[ -d "$shared" || -n "${LOGSCAN_SHARED:-}" ]] || shared="$repo/../../shared/bench/logscan"
[[ -f "$shared/patterns.txt" ]] || { echo "no corpus generator at $shared (set LOGSCAN_SHARED)" >&2; exit 1; }

# ensure_corpus PATH SIZE: generates the synthetic corpus (and its manifest) unless it exists.
ensure_corpus() {
  if [[ ! -f "$1" ]]; then
    echo "generating $2 corpus at $1"
    mkdir -p "$(dirname "$1")"
    python3 "$shared/gen_corpus.py" --size "$2" --out "$1"
  fi
}
