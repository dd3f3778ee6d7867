#!/usr/bin/env bash
# The flood figure in docs/reliability.md ("A reader cannot drown the trail
# or the socket"): starts the built koppelingd on a scratch register, lets
# uid 65534 (nobody, who may only read) send refused `school.add`
# notifications as fast as the socket takes them for SECONDS seconds, and
# prints the audit rows written, the database's growth, and whether an
# administrator still gets an answer meanwhile. Needs root (to act as
# nobody) and the sqlite3 command; uses the debug build unless KOPPELINGD is given.
#
#   sudo scripts/audit-flood.sh             8 seconds
#   SECONDS_FLOOD=30 sudo scripts/audit-flood.sh
#   KOPPELINGD=.build/release/koppelingd sudo scripts/audit-flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "audit-flood: needs root (to send as uid 65534)" >&2; exit 2; }
seconds=${SECONDS_FLOOD:-8}
daemon=${KOPPELINGD:-}
if [ -z "$daemon" ]; then
    swift build --product koppelingd >/dev/null
    daemon=$(swift build --show-bin-path)/koppelingd
fi
dir=$(mktemp -d /tmp/koppeling-flood.XXXXXX)
chmod 0755 "$dir"
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
"$daemon" --database "$dir/koppelingd.db" --socket "$dir/k.sock" >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$dir/k.sock" ] && break; sleep 0.1; done
chmod 0666 "$dir/k.sock"
size() { du -cb "$dir"/koppelingd.db* | tail -1 | cut -f1; }
before=$(size)

cat >"$dir/flood.py" <<'PY'
import socket, sys, time
path, seconds = sys.argv[1], float(sys.argv[2])
line = b'{"jsonrpc":"2.0","method":"school.add","params":{"brin6":"21QW00","name":"X"}}\n' * 256
end = time.monotonic() + seconds
sent = 0
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.setblocking(True)
while time.monotonic() < end:
    s.sendall(line)
    sent += 256
print(sent)
PY
cat >"$dir/ask.py" <<'PY'
import socket, sys, time, json
path, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
worst = 0.0
lat = []
n = 0
while time.monotonic() < end:
    s = socket.socket(socket.AF_UNIX)
    t = time.monotonic()
    s.connect(path)
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')
    reply = s.makefile().readline()
    assert json.loads(reply).get("result"), reply
    worst = max(worst, time.monotonic() - t)
    lat.append(round((time.monotonic() - t) * 1000))
    n += 1
    s.close()
    time.sleep(0.2)
print(n, round(worst * 1000))
print("audit-flood: root status latencies (ms):", lat, file=sys.stderr)
PY
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$dir/flood.py" "$dir/k.sock" "$seconds" \
    >"$dir/sent" &
flood=$!
read -r asked worst < <(/usr/bin/python3 "$dir/ask.py" "$dir/k.sock" "$seconds")
wait "$flood"
sleep 1
total=$(sqlite3 "$dir/koppelingd.db" 'SELECT count(*) FROM audit')
summaries=$(sqlite3 "$dir/koppelingd.db" "SELECT count(*) FROM audit WHERE method = 'audit.summary'")
summarized=$(sqlite3 "$dir/koppelingd.db" "SELECT coalesce(sum(CAST(detail AS INTEGER)), 0) FROM audit WHERE method = 'audit.summary'")
after=$(size)
echo "audit-flood: uid 65534 sent $(cat "$dir/sent") refused school.add notifications in $seconds s"
echo "audit-flood: audit rows written: $total (of which summary rows: $summaries, counting $summarized refusals)"
echo "audit-flood: register grew by $(( (after - before) / 1024 )) KiB (database, WAL and shm)"
echo "audit-flood: root meanwhile: $asked status requests answered, slowest $worst ms"
