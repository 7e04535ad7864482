#!/usr/bin/env bash
# Issue 15 done-when, at full scale: publish to N (default 1,000) confirmed
# subscribers through a local OpenSMTPD, SIGKILL `gleaner serve` at a random
# moment during the send, start it again, and count what the Maildirs hold:
# exactly N messages, nobody twice. Loopback only; needs root (smtpd's
# privilege separation) and Debian's opensmtpd, like tests/it/mail.rs.
#
#   scripts/mail-kill-test.sh [N] [GLEANER_BINARY]
#
# Default binary: target/release/gleaner if built, else target/debug/gleaner.
set -euo pipefail
N=${1:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G=${2:-}
if [ -z "$G" ]; then
    if [ -x "$ROOT/target/release/gleaner" ]; then G="$ROOT/target/release/gleaner"; else G="$ROOT/target/debug/gleaner"; fi
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d)
chmod 0777 "$WORK"
SMTP_PORT=$(free_port)
HTTP_PORT=$(free_port)
mkdir -p "$WORK/mail" && chmod 0777 "$WORK/mail"
cat > "$WORK/smtpd.conf" <<CONF
table vusers { "@" = "nobody" }
listen on 127.0.0.1 port $SMTP_PORT
action "deliver" maildir "$WORK/mail/%{rcpt.user}" virtual <vusers>
match from any for any action "deliver"
CONF
setpriv --pdeathsig KILL /usr/sbin/smtpd -d -f "$WORK/smtpd.conf" >"$WORK/smtpd.log" 2>&1 &
SMTPD=$!
SERVE=
cleanup() { [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null; kill "$SMTPD" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

cat > "$WORK/feed.xml" <<'FEED'
<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title><link>http://example.org/</link><description>d</description>
<item><guid>a</guid><title>Alpha story</title><link>http://example.org/a</link><pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate><description>About alpha</description></item>
<item><guid>b</guid><title>Beta story</title><link>http://example.org/b</link><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><description>About beta</description></item>
</channel></rss>
FEED
cat > "$WORK/gleaner.toml" <<CONF
store = "store.sled"
[publish]
title = "Load Digest"
output_dir = "feeds"
[server]
bind = "127.0.0.1:$HTTP_PORT"
[mail]
smtp = "smtp://127.0.0.1:$SMTP_PORT"
from = "Load Digest <digest@example.org>"
rate_per_minute = 100000
[[source]]
id = "feed"
url = "file://$WORK/feed.xml"
schedule = "0 0 1 1 *"
CONF
C="$WORK/gleaner.toml"
"$G" --config "$C" fetch >/dev/null
"$G" --config "$C" items --json | python3 -c 'import sys,json; print(" ".join(json.loads(l)["id"] for l in sys.stdin))' \
    | xargs "$G" --config "$C" review approve >/dev/null
python3 -c "print('email'); [print(f'reader{i:05}@load.test') for i in range($N)]" > "$WORK/list.csv"
"$G" --config "$C" subscribers import "$WORK/list.csv" --confirmed
"$G" --config "$C" publish >/dev/null

count() { find "$WORK/mail" -type f -path '*/new/*' | wc -l; }
KILL_AT=$(( (RANDOM % (N * 8 / 10)) + N / 10 ))
echo "sending to $N subscribers; SIGKILL once $KILL_AT have arrived"
START=$(date +%s.%N)
"$G" --config "$C" serve 2>"$WORK/serve1.log" & SERVE=$!
while [ "$(count)" -lt "$KILL_AT" ]; do sleep 0.01; done
kill -9 "$SERVE"; wait "$SERVE" 2>/dev/null || true; SERVE=
AT_KILL=$(count)
echo "killed serve with $AT_KILL delivered"
"$G" --config "$C" serve 2>"$WORK/serve2.log" & SERVE=$!
DEADLINE=$(( $(date +%s) + 600 ))
while [ "$(count)" -lt "$N" ] && [ "$(date +%s)" -lt "$DEADLINE" ]; do sleep 0.1; done
END=$(date +%s.%N)
sleep 5
TOTAL=$(count)
UNIQUE=$(find "$WORK/mail" -type f -path '*/new/*' | awk -F/ '{print $(NF-2)}' | sort -u | wc -l)
kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; SERVE=
echo "delivered $TOTAL messages to $UNIQUE distinct subscribers (expected $N each) in $(python3 -c "print(round($END-$START,1))") s"
[ "$TOTAL" -eq "$N" ] && [ "$UNIQUE" -eq "$N" ] && echo "OK: exactly $N, none twice" || { echo "FAIL"; exit 1; }
