#!/bin/sh
# First run: a UTF-8 cluster (init-db refuses SQL_ASCII) with the user, password and database
# from the environment, as the official image makes it; then the server on every address.
set -eu
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec runuser -u postgres -- /bin/sh "$0" "$@"
fi
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:?}" >"$pwfile"
  initdb -D "$PGDATA" -E UTF8 --locale=C.UTF-8 -U "$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  db=${POSTGRES_DB:-$user}
  if [ "$db" != postgres ]; then
    postgres -D "$PGDATA" -c listen_addresses='' &
    until pg_isready -q -h /var/run/postgresql; do sleep 0.2; done
    createdb -h /var/run/postgresql -U "$user" "$db"
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    wait || true
  fi
fi
if [ "$1" = postgres ]; then
  shift
  exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
