#!/usr/bin/env bash
# Type-checks the addon's crates for every target in package.json's napi.targets from this Linux
# machine, where rustup cannot download other targets' standard libraries: Debian's rustc-web ships
# the standard library's sources with their dependencies vendored, so `-Zbuild-std` compiles std
# for any target offline. It checks (no linking): the cfg-gated code of each platform compiles.
# Slow (a few minutes per target on two cores); run by hand after touching platform-specific code:
#   bash scripts/release/cross-check.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/src/rust/library/vendor ]; then
  echo "needs Debian's rustc-web, cargo-web and rust-web-src: apt-get install rustc-web cargo-web rust-web-src" >&2
  exit 2
fi
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
# std's own dependencies come from the vendored sources, never from the network.
cat > "$home/config.toml" <<'TOML'
[source.crates-io]
replace-with = "vendored-sources"
[source.vendored-sources]
directory = "/usr/lib/rustlib/src/rust/library/vendor"
TOML
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(node -p 'require("./package.json").napi.targets.join("\n")')
fi
failed=0
for t in "${targets[@]}"; do
  if CARGO_HOME="$home" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="${CROSS_CHECK_TARGET_DIR:-target/cross-check}" \
    /usr/bin/cargo check --offline -q -Zbuild-std=std,panic_abort --target "$t" -p tsdb-node; then
    echo "ok: $t"
  else
    echo "FAILED: $t"
    failed=$((failed + 1))
  fi
done
echo "$(( ${#targets[@]} - failed )) passed, $failed failed"
[ "$failed" -eq 0 ]
