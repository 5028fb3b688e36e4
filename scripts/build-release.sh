#!/usr/bin/env bash
# Builds the binaries as users run them (Render's buildCommand, the benchmarks) into target/dist/.
#
# On Linux with glibc they are linked statically, as static-pie (address-space randomisation kept).
# Why: a dynamically linked supervisor maps libc, libm and the dynamic loader, and the kernel's
# fault-around keeps about 1 MiB of those mappings resident in every process that uses them; a static
# binary carries only the libc code it calls. That difference is what brings the supervisor's idle
# RSS under its 8 MiB goal (docs/benchmarks.md). The same glibc as the build machine's is then inside
# the binary: name lookups use /etc/hosts and DNS through glibc's built-in `files` and `dns` sources
# (other `hosts:` sources in /etc/nsswitch.conf are skipped). Elsewhere (macOS, musl hosts) this is an
# ordinary `cargo build --release`.
#
# Usage: scripts/build-release.sh [binary ...]   (default: all three)
# Env:   CARGO_TARGET_DIR as for cargo; RUSTFLAGS, when set, replaces the static-linking flag.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

bins=("$@")
[[ ${#bins[@]} -gt 0 ]] || bins=(self-healing-agent prevention-agent auto-recovery)
args=()
for bin in "${bins[@]}"; do
    args+=(--bin "$bin")
done

host="$(rustc -vV | sed -n 's/^host: //p')"
case "$host" in
    *-linux-gnu)
        # Only with an explicit --target do these flags stay off build scripts and proc-macros, which
        # cannot be linked statically.
        var="CARGO_TARGET_$(printf '%s' "$host" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
        export "$var=${!var:-} -C target-feature=+crt-static"
        cargo build --release --locked --target "$host" "${args[@]}"
        out="$target_dir/$host/release"
        ;;
    *)
        cargo build --release --locked "${args[@]}"
        out="$target_dir/release"
        ;;
esac

mkdir -p "$target_dir/dist"
for bin in "${bins[@]}"; do
    # Copy to a new name, then rename: a running binary is never overwritten in place.
    cp "$out/$bin" "$target_dir/dist/.$bin.new"
    mv -f "$target_dir/dist/.$bin.new" "$target_dir/dist/$bin"
done
echo "built: ${bins[*]} -> $target_dir/dist/"
