#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory
# (it is mounted into /docker-entrypoint-initdb.d). Creates one role and one
# database per Sawt service, each owned by its role, password = role name.
# These are development credentials for docker compose only.
#
# No service may read another service's database: PUBLIC loses CONNECT on each
# database, so only its owner (and the superuser) can connect.
set -euo pipefail

for service in ${SAWT_DATABASES:-identity petitions consultations notifications}; do
    echo "sawt: creating role and database ${service}"
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
        -v service="${service}" <<'SQL'
CREATE ROLE :"service" LOGIN PASSWORD :'service';
CREATE DATABASE :"service" OWNER :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
GRANT ALL ON DATABASE :"service" TO :"service";
SQL
done
