#!/usr/bin/env bash
# Runs a command (the SDK example, the Postman collection) against the built apps (npm run build first): migrations,
# api, worker and the local Gemini stand-in, on free ports the system hands out (so a running `npm run dev` is left
# alone), their own database and Redis prefix, with API_URL set; all is stopped and dropped afterwards.
# Usage: scripts/with-built-stack.sh <command> [args...]
set -euo pipefail
cd "$(dirname "$0")/.."

database="gcb_example_$$"
export NODE_ENV=development
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${database}"
export REDIS_URL=redis://127.0.0.1:6379
export REDIS_PREFIX="example$$"
export JWT_SECRET_KEY=example-run-secret-that-is-long-enough-0000000
free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}
PORT=$(free_port) WORKER_HEALTH_PORT=$(free_port) GEMINI_STAND_IN_PORT=$(free_port)
export PORT WORKER_HEALTH_PORT GEMINI_STAND_IN_PORT
export GEMINI_API_KEY=local-stand-in GEMINI_BASE_URL="http://127.0.0.1:${GEMINI_STAND_IN_PORT}"
# Billing off, whatever a developer's .env says (the apps read .env for variables not set here).
export STRIPE_API_KEY= STRIPE_WEBHOOK_SECRET= STRIPE_PRO_PRICE_ID= STRIPE_API_BASE_URL=

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS \"${database}\" WITH (FORCE)" || true
}
trap cleanup EXIT

psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE \"${database}\""
# The same commands as the npm scripts start:migrate, dev:gemini-stand-in, start:api and start:worker, run by node
# directly so this script holds their pids and can stop them.
node dist/apps/api/src/migrate.js
node -r @swc-node/register scripts/gemini-stand-in.ts > /dev/null & pids+=($!)
node dist/apps/api/src/main.js > /dev/null & pids+=($!)
node --max-old-space-size=256 dist/apps/worker/src/main.js > /dev/null & pids+=($!)

for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:${PORT}/health/ready" > /dev/null && curl -fs "http://127.0.0.1:${WORKER_HEALTH_PORT}/health/ready" > /dev/null && break
  sleep 0.5
done
API_URL="http://127.0.0.1:${PORT}" "$@"
