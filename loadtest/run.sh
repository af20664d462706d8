#!/usr/bin/env bash
# make load: Precept under gunicorn on 127.0.0.1 (LOAD_WORKERS, 4 as in README's Deploying:
# with 2, one password check held half the server), PostgreSQL, 50 simulated users for
# LOAD_SECONDS (60) seconds; then the exactly-once check. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD
BIN=.venv/bin
$BIN/pip install --quiet --disable-pip-version-check -r requirements-load.txt

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGDIR=$(mktemp -d)
cleanup() {
  [ -n "${GUNICORN_PID:-}" ] && kill "$GUNICORN_PID" 2>/dev/null || true
  if [ -z "${LOAD_DATABASE_URL:-}" ]; then
    (cd "$PGDIR" && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1) || true
  fi
  rm -rf "$PGDIR"
}
trap cleanup EXIT
if [ -n "${LOAD_DATABASE_URL:-}" ]; then
  export DATABASE_URL=$LOAD_DATABASE_URL
else
  [ -n "$PGBIN" ] || { echo "PostgreSQL is needed: apt-get install postgresql"; exit 1; }
  chown postgres "$PGDIR"
  (cd "$PGDIR" && runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >/dev/null)
  (cd "$PGDIR" && runuser -u postgres -- "$PGBIN/pg_ctl" -w -D "$PGDIR/data" -l "$PGDIR/log" \
    -o "-p 5435 -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null)
  psql -h 127.0.0.1 -p 5435 -U postgres -q -c "CREATE ROLE precept LOGIN PASSWORD 'precept'" \
    -c "CREATE DATABASE precept OWNER precept"
  export DATABASE_URL=postgres://precept:precept@127.0.0.1:5435/precept
fi

export DJANGO_SECRET_KEY="load-only-$(date +%s%N)-not-a-deployed-key-0123456789abcdef"
export DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0
$BIN/python manage.py migrate --noinput -v0
$BIN/python manage.py collectstatic --noinput -v0
$BIN/python loadtest/prepare.py
$BIN/gunicorn config.wsgi --bind 127.0.0.1:8001 --workers ${LOAD_WORKERS:-4} --no-control-socket \
  --access-logfile /dev/null --error-logfile "$PGDIR/gunicorn.log" &
GUNICORN_PID=$!
for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:8001/accounts/login/ && break; sleep 0.2; done

status=0
$BIN/locust -f loadtest/locustfile.py --headless --users 50 --spawn-rate 10 \
  --run-time "${LOAD_SECONDS:-60}s" --host http://127.0.0.1:8001 --only-summary \
  --csv "$PGDIR/load" > "$PGDIR/locust.log" 2>&1 || status=$?
grep -v "^\[" "$PGDIR/locust.log" || true
echo
echo "Per page: requests, failures, median ms, 95th percentile ms, requests/s"
awk -F, 'NR > 1 { printf "  %-36s %6s %4s %6s %6s %7.1f\n", $2, $3, $4, $5, $17, $10 }' "$PGDIR/load_stats.csv"
exit "$status"
