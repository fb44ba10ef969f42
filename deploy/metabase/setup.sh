#!/bin/sh
# One-shot set-up of a fresh Metabase (docker compose service metabase-setup): creates the admin account
# and connects Metabase to the Neurocards database as the read-only `analyst` role, limited to schema rm.
# Does nothing when Metabase is already set up (change the connection in Metabase's admin pages then).
set -eu

MB=${MB_URL:-http://metabase:3000}
: "${ANALYST_PASSWORD:?set ANALYST_PASSWORD in .env}"
: "${MB_ADMIN_EMAIL:?set MB_ADMIN_EMAIL in .env}"
: "${MB_ADMIN_PASSWORD:?set MB_ADMIN_PASSWORD in .env}"

# JSON string escaping for values that come from the environment.
json() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

echo "waiting for Metabase at $MB"
i=0
until curl -fsS "$MB/api/health" 2>/dev/null | grep -q '"ok"'; do
  i=$((i + 1)); [ "$i" -lt 180 ] || { echo "Metabase did not become healthy" >&2; exit 1; }
  sleep 2
done

token=$(curl -fsS "$MB/api/session/properties" | sed -n 's/.*"setup-token":"\([^"]*\)".*/\1/p')
if curl -fsS "$MB/api/session/properties" | grep -q '"has-user-setup":true'; then
  echo "Metabase is already set up; nothing to do"
  exit 0
fi
[ -n "$token" ] || { echo "Metabase gave no setup token" >&2; exit 1; }

curl -fsS -X POST "$MB/api/setup" -H 'content-type: application/json' -d "{
  \"token\": $(json "$token"),
  \"user\": {\"email\": $(json "$MB_ADMIN_EMAIL"), \"password\": $(json "$MB_ADMIN_PASSWORD"),
             \"first_name\": \"Neurocards\", \"last_name\": \"Admin\", \"site_name\": \"Neurocards\"},
  \"prefs\": {\"site_name\": \"Neurocards\", \"allow_tracking\": false},
  \"database\": {\"engine\": \"postgres\", \"name\": \"Neurocards read models\", \"details\": {
    \"host\": \"postgres\", \"port\": 5432, \"dbname\": \"neurocards\", \"user\": \"analyst\",
    \"password\": $(json "$ANALYST_PASSWORD"), \"ssl\": false,
    \"schema-filters-type\": \"inclusion\", \"schema-filters-patterns\": \"rm\"}}
}" >/dev/null
echo "Metabase set up: admin $MB_ADMIN_EMAIL, database 'Neurocards read models' as role analyst (schema rm)"
