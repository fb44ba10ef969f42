#!/usr/bin/env bash
# Makes this machine ready to run Neurocards: pnpm and the packages, PostgreSQL and NATS JetStream
# (from Debian packages when they are missing and no Docker engine runs; development containers when one
# does), both started, the database created.
# Safe to run again: every step checks first and does only what is missing.
# With SETUP_BROWSER=yes (scripts/test.sh sets it) it also installs Chromium for the dashboard's browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/neurocards}
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
NATS_STORE_DIR=${NATS_STORE_DIR:-/var/lib/nats-server}

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup]\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root (or sudo) to run: $*"; fi
}

host_of() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; echo "${rest%%:*}"; }
port_of() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$2"; }
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # host port name
  for _ in $(seq 1 60); do listening "$1" "$2" && return 0; sleep 0.5; done
  die "$3 did not start listening on $1:$2"
}
docker_engine() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

apt_updated=no
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand (see docs/ops.md)"
  if [ $apt_updated = no ]; then as_root apt-get update -qq; apt_updated=yes; fi
  say "installing $* from Debian packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- Node and pnpm ---------------------------------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"
if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || as_root npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi
say "installing packages"
pnpm install --frozen-lockfile --reporter=silent

# --- PostgreSQL --------------------------------------------------------------------------------------------
pg_host=$(host_of "$DATABASE_URL"); pg_port=$(port_of "$DATABASE_URL" 5432)
if ! listening "$pg_host" "$pg_port"; then
  if docker_engine; then
    say "starting PostgreSQL with Docker (development container, trust auth on loopback)"
    docker run -d --name neurocards-dev-postgres -p "$pg_host:$pg_port:5432" -e POSTGRES_HOST_AUTH_METHOD=trust \
      -e POSTGRES_DB=neurocards postgres:15 >/dev/null || docker start neurocards-dev-postgres >/dev/null
  else
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "starting PostgreSQL $cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  fi
  wait_for "$pg_host" "$pg_port" PostgreSQL
fi

# A freshly installed Debian cluster asks for a password on TCP; the local default URL has none, so trust
# loopback connections (this is a development and test machine; production sets its own credentials).
psql_admin() { psql "${DATABASE_URL%/*}/postgres" -v ON_ERROR_STOP=1 -qtA "$@"; }
command -v psql >/dev/null || apt_install postgresql-client
if ! psql_admin -c 'select 1' >/dev/null 2>&1 && [[ $pg_host == 127.0.0.1 || $pg_host == localhost ]] \
  && [ -d /etc/postgresql ]; then
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n 1)
  say "allowing trusted loopback connections in $hba"
  as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$(dirname "$hba")")")" main reload
fi
psql_admin -c 'select 1' >/dev/null || die "cannot connect to PostgreSQL with ${DATABASE_URL%/*}/postgres"
db_name=${DATABASE_URL##*/}; db_name=${db_name%%\?*}
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$db_name'")" != 1 ]; then
  say "creating database $db_name"; psql_admin -c "create database \"$db_name\""
fi

# --- NATS with JetStream ------------------------------------------------------------------------------------
nats_host=$(host_of "$NATS_URL"); nats_port=$(port_of "$NATS_URL" 4222)
if ! listening "$nats_host" "$nats_port"; then
  if docker_engine; then
    say "starting NATS with Docker (development container)"
    docker run -d --name neurocards-dev-nats -p "$nats_host:$nats_port:4222" nats:2.12-alpine -js >/dev/null \
      || docker start neurocards-dev-nats >/dev/null
  else
    command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
    nats_bin=$(command -v nats-server || echo /usr/sbin/nats-server)
    as_root mkdir -p "$NATS_STORE_DIR"
    say "starting NATS with JetStream (store: $NATS_STORE_DIR)"
    as_root start-stop-daemon --start --oknodo --background --exec "$nats_bin" -- \
      -a "$nats_host" -p "$nats_port" -js -sd "$NATS_STORE_DIR" -l /var/log/nats-server.log
  fi
  wait_for "$nats_host" "$nats_port" NATS
fi

# --- Chromium (tests only) -----------------------------------------------------------------------------------
# The dashboard test drives Debian's Chromium with playwright-core; CHROMIUM_PATH points elsewhere if needed.
if [ "${SETUP_BROWSER:-no}" = yes ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  apt_install chromium
fi

say "ready: PostgreSQL at $pg_host:$pg_port, NATS at $nats_host:$nats_port"
