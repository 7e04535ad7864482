#!/usr/bin/env bash
# The poll benchmark of issue 18: a generated corpus served by nginx on
# loopback, polled by the release binary's `gleaner fetch`, cold and then with
# every feed unchanged (nginx answers 304 to the validators of the first poll).
# Prints wall time, CPU time (user + sys) and peak RSS of each poll.
#
#   benches/poll.sh [FEEDS] [ITEMS] [RUNS]     defaults: 200 20 1
#   FOLLOW=1 benches/poll.sh 200               also follow every item's article page
#   PROFILE=DIR benches/poll.sh 2000           also record each poll with `perf record -g`
#   CACHE_MIB=8 benches/poll.sh                another store_cache_mib
#
# Needs Debian's nginx (`apt-get install -y nginx`) and python3; runs nginx as
# a user process with its own config in a temp dir, on a free loopback port,
# and stops it on exit. Builds `cargo build --release` first (skip with
# NO_BUILD=1). Targets (issue 18, 2 cores): 200×20 cold ≤ 0.8 s CPU and
# ≤ 48 MiB; 2,000×20 cold ≤ 5 s wall and ≤ 64 MiB; unchanged ≤ 0.5 s;
# FOLLOW=1 200×20 ≤ 0.7 ms CPU per article page.
set -euo pipefail
FEEDS=${1:-200}
ITEMS=${2:-20}
RUNS=${3:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { echo "nginx not found: apt-get install -y nginx" >&2; exit 2; }
[ "${NO_BUILD:-}" = 1 ] || cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN=${GLEANER_BIN:-$ROOT/target/release/gleaner}

WORK=$(mktemp -d)
# nginx workers run as an unprivileged user when started by root: let them read the corpus.
chmod 755 "$WORK"
cleanup() {
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    sleep 0.2
    rm -rf "$WORK"
}
trap cleanup EXIT
# The corpus, served by nginx on loopback.
source "$ROOT/benches/serve-corpus.sh"

poll() { # label
    local store=$1
    cat >"$WORK/gleaner.toml" <<EOF
store = "$store"
${CACHE_MIB:+store_cache_mib = $CACHE_MIB}
sources = "corpus/sources.toml"
[fetch]
allow_private_networks = true
max_concurrency = 8
per_host_concurrency = 8
EOF
    local rc=0
    # PROFILE=DIR: record each poll with perf into DIR/<label>.perf.data (`perf report -i` it).
    local wrap=()
    [ -n "${PROFILE:-}" ] && wrap=(perf record ${PERF_ARGS:--F 999 -g} -o "$PROFILE/$2.perf.data" --)
    /usr/bin/time -v "${wrap[@]}" "$BIN" --config "$WORK/gleaner.toml" fetch >"$WORK/out.txt" 2>"$WORK/time.txt" || rc=$?
    local user sys wall rss
    user=$(awk -F': ' '/User time/ {print $2}' "$WORK/time.txt")
    sys=$(awk -F': ' '/System time/ {print $2}' "$WORK/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$WORK/time.txt")
    local cpu
    cpu=$(python3 -c "print(f'{$user+$sys:.2f}')")
    printf '%-10s wall %s  cpu %s s (user %s, sys %s)  peak RSS %s MiB  %s  exit %s\n' \
        "$2" "$wall" "$cpu" "$user" "$sys" "$rss" "$(tail -n 1 "$WORK/out.txt")" "$rc"
    if [ "$rc" != 0 ]; then grep -m3 -i "failed\|error" "$WORK/out.txt" "$WORK/time.txt" >&2 || true; fi
}

echo "corpus: $FEEDS feeds x $ITEMS items (follow=${FOLLOW:-0}), nginx on $BASE, $(nproc) cores"
for run in $(seq "$RUNS"); do
    poll "store-$run.sled" cold
    poll "store-$run.sled" unchanged
    # sled replays the log written since the store was last opened (the cold
    # poll's, hundreds of MB at 2,000 feeds) when it opens: a second unchanged
    # poll shows the cost of polling alone, as a running `serve` pays it.
    poll "store-$run.sled" unchanged2
done
