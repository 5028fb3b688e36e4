#!/usr/bin/env bash
# Log-scanning benchmark: our bulk scanner vs ripgrep on the shared synthetic corpus.
# Generates the corpus if missing, installs ripgrep if missing, builds the bench in release mode, then
# runs ripgrep and ours alternately (file in page cache) and prints the medians in MB/s and the ratio,
# plus our incidents per kind against the generator's manifest.
#
# Env: LOGSCAN_CORPUS (default /tmp/logscan/corpus-1g.log), LOGSCAN_SIZE (default 1GiB),
#      LOGSCAN_SHARED (default <repo>/../shared/bench/logscan), RUNS (default 5), RG (ripgrep binary).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${LOGSCAN_SHARED:-$repo/../shared/bench/logscan}"
corpus="${LOGSCAN_CORPUS:-/tmp/logscan/corpus-1g.log}"
size="${LOGSCAN_SIZE:-1GiB}"
runs="${RUNS:-5}"
rg="${RG:-/tmp/logscan/rg-root/bin/rg}"

if [[ ! -f "$corpus" ]]; then
  echo "generating $size corpus at $corpus"
  python3 "$shared/gen_corpus.py" --size "$size" --out "$corpus"
fi
if [[ ! -x "$rg" ]]; then
  echo "installing ripgrep into /tmp/logscan/rg-root (takes minutes)"
  timeout 1800 cargo install ripgrep --root /tmp/logscan/rg-root
  rg=/tmp/logscan/rg-root/bin/rg
fi

bench="$(cd "$repo" && cargo bench -p healing-core --bench logscan --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "logscan":
        print(m["executable"])')"
[[ -x "$bench" ]] || { echo "could not build the logscan bench" >&2; exit 1; }

bytes=$(stat -c %s "$corpus")
cat "$corpus" > /dev/null  # into the page cache
now() { date +%s.%N; }
rg_times=() our_times=()
for ((i = 1; i <= runs; i++)); do
  t0=$(now); rg_count=$("$rg" -c -f "$shared/patterns.txt" "$corpus"); t1=$(now)
  rg_times+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); LOGSCAN_CORPUS="$corpus" LOGSCAN_RUNS=1 "$bench" > /tmp/logscan/ours-last.txt || true; t1=$(now)
  our_times+=("$(echo "$t1 - $t0" | bc -l)")
  echo "run $i: rg ${rg_times[-1]}s ($rg_count lines)  ours ${our_times[-1]}s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rg_med=$(median "${rg_times[@]}"); our_med=$(median "${our_times[@]}")
rg_mbs=$(echo "$bytes / 1000000 / $rg_med" | bc -l); our_mbs=$(echo "$bytes / 1000000 / $our_med" | bc -l)
printf 'corpus %s (%d bytes), %d alternating runs, wall time of whole processes\n' "$corpus" "$bytes" "$runs"
printf 'ripgrep median %.3fs = %.0f MB/s\n' "$rg_med" "$rg_mbs"
printf 'ours    median %.3fs = %.0f MB/s\n' "$our_med" "$our_mbs"
printf 'ratio ours/ripgrep = %.2f\n' "$(echo "$our_mbs / $rg_mbs" | bc -l)"
sed -n '/^kind/,$p' /tmp/logscan/ours-last.txt
grep -q "incidents .* match$" /tmp/logscan/ours-last.txt
