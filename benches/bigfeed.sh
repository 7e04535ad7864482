#!/usr/bin/env bash
# Peak memory of polling one feed at the body cap (issue 11.14): writes the
# feeds of benches/bigfeed.py and polls each, as a `file` source, into a
# fresh store with `gleaner fetch` (parse, the 1,000-item cap, normalize,
# store, extraction from feed content) under /usr/bin/time, printing CPU
# time and peak RSS. For scale: `gleaner fetch` of one small feed peaks at
# about 20 MiB. Needs python3 and a release build
# (`cargo build --release`; skipped with NO_BUILD=1).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "${NO_BUILD:-}" = 1 ] || cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN=${GLEANER_BIN:-$ROOT/target/release/gleaner}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 "$ROOT/benches/bigfeed.py" "$WORK"
for feed in many-items.xml few-items.xml atom-items.xml json-items.json; do
    printf 'store = "store-%s.sled"\n[[source]]\nid = "big"\nurl = "%s"\n' "$feed" "$feed" >"$WORK/gleaner.toml"
    /usr/bin/time -v "$BIN" --config "$WORK/gleaner.toml" fetch >/dev/null 2>"$WORK/time.txt" || { cat "$WORK/time.txt" >&2; exit 1; }
    awk -F': ' -v f="$feed" '
        /User time/ {u=$2} /System time/ {s=$2} /Maximum resident set size/ {r=$2/1024}
        END {printf "%-16s cpu %.2f s  peak RSS %.1f MiB\n", f, u+s, r}' "$WORK/time.txt"
done
