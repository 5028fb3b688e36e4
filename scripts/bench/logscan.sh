#!/usr/bin/env bash
# Log-scanning benchmark: our bulk scanner vs ripgrep on the shared synthetic corpus.
# Generates the corpus if missing, installs ripgrep if missing, builds the bench in release mode, then
# runs ripgrep, ours (scan_file: all cores, what `self-healing-agent scan` uses) and ours on one thread
# (scan_reader) alternately (file in page cache) and prints the medians of wall and CPU time in MB/s and
# the ratio to ripgrep, plus our incidents per kind against the generator's manifest.
#
# Env: LOGSCAN_CORPUS (default /tmp/logscan/corpus-1g.log), LOGSCAN_SIZE (default 1GiB),
#      LOGSCAN_SHARED (default <repo>/../shared/bench/logscan), RUNS (default 5), RG (ripgrep binary).
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=scripts/bench/logscan-env.sh
source "$repo/scripts/bench/logscan-env.sh"
corpus="${LOGSCAN_CORPUS:-/tmp/logscan/corpus-1g.log}"
size="${LOGSCAN_SIZE:-1GiB}"
runs="${RUNS:-5}"
rg="${RG:-/tmp/logscan/rg-root/bin/rg}"

ensure_corpus "$corpus" "$size"
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
# One timed process: prints "<wall seconds> <user+sys seconds>".
timed() {
  local t0 t1 cpu
  t0=$(date +%s.%N)
  cpu=$( { /usr/bin/time -f '%U %S' "$@" > /tmp/logscan/last-stdout.txt; } 2>&1 | tail -n 1)
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$cpu" | awk '{print $1 + $2}')"
}
rg_w=() rg_c=() par_w=() par_c=() one_w=() one_c=()
for ((i = 1; i <= runs; i++)); do
  read -r w c < <(timed "$rg" -c -f "$shared/patterns.txt" "$corpus"); rg_w+=("$w"); rg_c+=("$c")
  rg_count=$(cat /tmp/logscan/last-stdout.txt)
  read -r w c < <(timed env LOGSCAN_CORPUS="$corpus" LOGSCAN_RUNS=1 "$bench"); par_w+=("$w"); par_c+=("$c")
  cp /tmp/logscan/last-stdout.txt /tmp/logscan/ours-last.txt
  read -r w c < <(timed env LOGSCAN_CORPUS="$corpus" LOGSCAN_RUNS=1 LOGSCAN_MODE=reader "$bench"); one_w+=("$w"); one_c+=("$c")
  cp /tmp/logscan/last-stdout.txt /tmp/logscan/ours-reader-last.txt
  echo "run $i: rg ${rg_w[-1]}s wall ${rg_c[-1]}s cpu ($rg_count lines)  ours ${par_w[-1]}s wall ${par_c[-1]}s cpu  ours 1-thread ${one_w[-1]}s wall ${one_c[-1]}s cpu"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbs() { echo "$bytes / 1000000 / $1" | bc -l; }
rg_med=$(median "${rg_w[@]}")
printf 'corpus %s (%d bytes), %d alternating runs, medians of whole processes, load average now: %s\n' \
  "$corpus" "$bytes" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
for tool in rg par one; do
  declare -n w="${tool}_w" c="${tool}_c"
  wm=$(median "${w[@]}"); cm=$(median "${c[@]}")
  case $tool in rg) name="ripgrep            ";; par) name="ours (scan_file)   ";; one) name="ours (1 thread)    ";; esac
  printf '%s wall %.3fs = %5.0f MB/s (%.2f x ripgrep)   cpu %.3fs = %5.0f MB/s per cpu-second\n' \
    "$name" "$wm" "$(mbs "$wm")" "$(echo "$rg_med / $wm" | bc -l)" "$cm" "$(mbs "$cm")"
done
sed -n '/^kind/,$p' /tmp/logscan/ours-last.txt
grep -q "incidents .* match$" /tmp/logscan/ours-last.txt
grep -q "incidents .* match$" /tmp/logscan/ours-reader-last.txt
