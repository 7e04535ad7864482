#!/usr/bin/env bash
# The fetch-worker benchmark of issue 17: the poll bench's corpus
# (benches/corpus.py, served by nginx on loopback as in benches/poll.sh)
# polled once by `gleaner worker` processes sharing one PostgreSQL, with 1
# worker and then with 3, and by `gleaner fetch` on sled for comparison.
# Prints, per run: wall time until every item is stored and every source
# finished, items/s, the items stored (each URL once: a count below
# FEEDS × ITEMS or above it fails the run), the database's CPU time (every
# postgres process of the cluster, user + sys) and the workers' CPU time.
#
#   benches/workers.sh [FEEDS] [ITEMS] [WORKERS...]   defaults: 2000 20 1 3
#
# Needs Debian's nginx and postgresql (`apt-get install -y nginx postgresql`)
# and python3. Starts a throwaway cluster (initdb into a temp dir, postgres on
# a free loopback port, as `nobody` when run as root) and nginx, both as
# user processes, and removes them on exit. Builds `cargo build --release`
# first (skip with NO_BUILD=1). Target (issue 17): the 1-worker PostgreSQL
# run's wall within 2× the sled run's.
set -euo pipefail
FEEDS=${1:-2000}
ITEMS=${2:-20}
RUNS=("${@:3}")
[ ${#RUNS[@]} -eq 0 ] && RUNS=(1 3)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { echo "nginx not found: apt-get install -y nginx" >&2; exit 2; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL not found: apt-get install -y postgresql" >&2; exit 2; }
[ "${NO_BUILD:-}" = 1 ] || cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN=${GLEANER_BIN:-$ROOT/target/release/gleaner}

WORK=$(mktemp -d)
chmod 755 "$WORK"
AS=()
[ "$(id -u)" = 0 ] && AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
WORKER_PIDS=()
cleanup() {
    for pid in "${WORKER_PIDS[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; done
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    [ -d "$WORK/pg/data" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
    sleep 0.3
    rm -rf "$WORK"
}
trap cleanup EXIT

# The corpus, served by nginx on loopback.
source "$ROOT/benches/serve-corpus.sh"

# The cluster: durable settings left at PostgreSQL's defaults (fsync on), as an operator runs it.
PGPORT=$(free_port)
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$WORK/pg"
"${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -U gleaner --auth=trust -E UTF8 --locale=C >"$WORK/pg/initdb.log" 2>&1
"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k $WORK/pg" start >/dev/null
PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U gleaner -tA)
POSTMASTER=$(head -n 1 "$WORK/pg/data/postmaster.pid")

# CPU seconds (user + sys) of the postmaster and every process it started,
# those that exited included (their time is in the postmaster's cutime/cstime).
db_cpu() {
    python3 - "$POSTMASTER" <<'EOF'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
pm = sys.argv[1]
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
total = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        f = fields(pid)
    except OSError:
        continue
    if pid == pm:
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    elif f[1] == pm:
        total += int(f[11]) + int(f[12])
print(f"{total / tick:.2f}")
EOF
}

# One nginx stands in for 2,000 feed hosts. On PostgreSQL the per-host limit
# holds across all workers, so it is set to what 3 workers of 8 use
# together: each process stays at 8 (`max_concurrency`), as on sled.
config() { # dir store
    mkdir -p "$1"
    cat >"$1/gleaner.toml" <<EOF
store = "$2"
sources = "$WORK/corpus/sources.toml"
[fetch]
allow_private_networks = true
max_concurrency = 8
per_host_concurrency = 24
EOF
}

TOTAL=$((FEEDS * ITEMS))
echo "corpus: $FEEDS feeds x $ITEMS items ($TOTAL items), nginx on $BASE, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# sled: one `gleaner fetch` (what one process does today).
config "$WORK/sled" "$WORK/sled/store.sled"
/usr/bin/time -f '%e %U %S' -o "$WORK/sled/time" "$BIN" --config "$WORK/sled/gleaner.toml" fetch >/dev/null 2>&1 || true
read -r wall user sys <"$WORK/sled/time"
stored=$("$BIN" --config "$WORK/sled/gleaner.toml" export 2>/dev/null | grep -c '"kind":"items.v2"' || true)
printf '%-12s wall %7.2f s  %8.0f items/s  stored %s  cpu %.2f s\n' "sled fetch" "$wall" \
    "$(python3 -c "print($TOTAL/$wall)")" "$stored" "$(python3 -c "print($user+$sys)")"

for n in "${RUNS[@]}"; do
    db="w$n"
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null
    config "$WORK/$db" "postgres://gleaner@127.0.0.1:$PGPORT/$db"
    "$BIN" --config "$WORK/$db/gleaner.toml" migrate >/dev/null
    cpu_before=$(db_cpu)
    began=$(date +%s.%N)
    WORKER_PIDS=()
    for i in $(seq "$n"); do
        mkdir -p "$WORK/$db/$i"
        cp "$WORK/$db/gleaner.toml" "$WORK/$db/$i/gleaner.toml"
        RUST_LOG=warn /usr/bin/time -f '%U %S' -o "$WORK/$db/$i/time" \
            "$BIN" --config "$WORK/$db/$i/gleaner.toml" worker --batch 8 >"$WORK/$db/$i/log" 2>&1 &
        WORKER_PIDS+=($!)
    done
    # Done when every source has been polled and finished and every item is in.
    while :; do
        left=$("${PSQL[@]}" -d "$db" -c \
            "SELECT count(*) FROM source_leases WHERE next_due IS NULL OR lease_token IS NOT NULL" 2>/dev/null || echo -1)
        synced=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM source_leases" 2>/dev/null || echo 0)
        items=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM items" 2>/dev/null || echo 0)
        [ "$synced" = "$FEEDS" ] && [ "$left" = 0 ] && [ "$items" -ge "$TOTAL" ] && break
        [ "$(python3 -c "print(int($(date +%s.%N) - $began))")" -ge "${MAX_SECS:-1800}" ] && { echo "  gave up after ${MAX_SECS:-1800} s: $items items, $left sources left" >&2; break; }
        sleep 0.2
    done
    ended=$(date +%s.%N)
    cpu_after=$(db_cpu)
    # Each pid is `time`'s; the worker is its child (time would not pass the signal on).
    for pid in "${WORKER_PIDS[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; done
    wait "${WORKER_PIDS[@]}" 2>/dev/null || true
    WORKER_PIDS=()
    stored=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM items")
    urls=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM item_urls")
    worker_cpu=$(for t in "$WORK/$db"/*/time; do tail -n 1 "$t"; done | awk '{s += $1 + $2} END {printf "%.2f", s}')
    wall=$(python3 -c "print(f'{$ended-$began:.2f}')")
    printf '%-12s wall %7.2f s  %8.0f items/s  stored %s (urls %s)  db cpu %.2f s  workers cpu %s s\n' \
        "pg ${n}-worker" "$wall" "$(python3 -c "print($stored/max($wall,0.001))")" "$stored" "$urls" \
        "$(python3 -c "print($cpu_after-$cpu_before)")" "$worker_cpu"
    [ "$stored" = "$TOTAL" ] || echo "  expected $TOTAL items" >&2
done
