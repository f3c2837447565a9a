#!/usr/bin/env bash
# Runs the Postman collection's "Quick flow" folder with newman against API_URL, as a fresh user.
set -euo pipefail
cd "$(dirname "$0")/.."
mobile="+919$(printf '%09d' $(( (RANDOM * 32768 + RANDOM) % 1000000000 )))"
npx newman run postman/gemini-chat.postman_collection.json --folder 'Quick flow' \
  --env-var "baseUrl=${API_URL:-http://localhost:3000}" --env-var "mobile=${mobile}" --bail
