# Sourced by benches/poll.sh and benches/workers.sh: generates the poll
# corpus (benches/corpus.py) into $WORK/corpus and serves it with nginx as a
# user process on a free loopback port, so that the client is what is timed.
# Needs ROOT, WORK, NGINX, FEEDS and ITEMS; sets PORT and BASE. The caller
# stops nginx on exit (its pid is in $WORK/nginx.pid).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
python3 "$ROOT/benches/corpus.py" "$WORK/corpus" "$FEEDS" "$ITEMS" "$BASE"
mkdir -p "$WORK/tmp"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
daemon on;
events { worker_connections 1024; }
http {
    types { application/rss+xml xml; application/feed+json json; text/html html; text/plain toml; }
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
    keepalive_requests 100000;
    server { listen 127.0.0.1:$PORT; root $WORK/corpus; }
}
EOF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/nginx-error.log"
for _ in $(seq 50); do curl -fs -o /dev/null "$BASE/sources.toml" && break; sleep 0.1; done
