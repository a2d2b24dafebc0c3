#!/usr/bin/env bash
# Starts the built command-line simulator and creates a session on it over HTTP.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mktemp)"
node "$root/dist/testing/cli.js" --port 0 --login cli-login --secret-key cli-secret >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q listening "$out" && break
  sleep 0.1
done
url="$(grep -o 'http://[0-9.:]*' "$out")"
node -e "
  const { createAuth } = require('$root/dist/testing');
  fetch('$url/api/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: createAuth({ login: 'cli-login', secretKey: 'cli-secret' }),
      payment: { reference: 'CLI-1', description: 'smoke', amount: { currency: 'USD', total: 1 } },
      returnUrl: 'https://example.com/r', ipAddress: '127.0.0.1', userAgent: 'ci',
    }),
  }).then(async (r) => {
    const body = await r.json();
    if (r.status !== 200 || typeof body.requestId !== 'number') throw new Error('unexpected ' + r.status + JSON.stringify(body));
    console.log('command-line simulator created session', body.requestId);
  }).catch((e) => { console.error(e); process.exit(1); });
"
