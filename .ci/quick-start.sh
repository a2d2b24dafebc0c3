#!/usr/bin/env bash
# The README's quick start, as written, on a fresh `nest new` app: scaffolds one with a pinned
# @nestjs/cli, copies examples/quick-start/ over it, installs the packed library and the peers the
# README names, builds it with `nest build`, boots it against the command-line simulator on SQLite,
# and pays one order over HTTP (buy route → checkout page → approving card → return route), then
# checks the payment is APPROVED and the listener logged it. A declined card must leave the payment
# PENDING (the buyer may retry), as the README says.
#
# QUICK_START_NEST_CLI picks the CLI (default 12.x: an ESM app; 11.x scaffolds a CommonJS one). It
# takes several versions, space-separated ("12.0.15 11.0.13", what CI runs): each gets its own fresh
# app. The library is packed once, the apps are scaffolded and installed in parallel (one npm
# cache, so what both need is downloaded once), then built and paid through one at a time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$root/dist/index.js" ] || { echo "run npm run build first" >&2; exit 1; }
read -r -a cli_versions <<<"${QUICK_START_NEST_CLI:-12.0.15}"
[ "${#cli_versions[@]}" -gt 0 ] || { echo "QUICK_START_NEST_CLI names no version" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
stop_pids() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_pids
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS
fail() { # fail <cli version> <message>: prints that app's logs and stops
  echo "quick start (@nestjs/cli@$1): $2" >&2
  for log in "$work/$1"/*.log; do
    [ -f "$log" ] && { echo "--- $(basename "$log")" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

tarball="$work/$(cd "$root" && npm pack --silent --ignore-scripts --pack-destination "$work" | tail -1)"

# The peers the README's Install and Quick start sections name (unversioned there: their 12.x
# accept Nest 11 too, and load in a CommonJS app through require(esm)).
peers=(@nestjs/axios@^12 axios@^1 @nestjs/typeorm@^12 typeorm@^1 @nestjs/schedule@^12
  @nestjs/config@^12 class-validator@^0.15)
# better-sqlite3 13 needs Node 22: the README says 12 on Node 20. As in compat.sh, the install
# skips scripts and the app gets the addon the repository's own `npm ci` built (same version).
addon="$root/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
sqlite_version="$(node -p "require('$root/node_modules/better-sqlite3/package.json').version")"
[ -f "$addon" ] && [ "${sqlite_version%%.*}" = 12 ] ||
  fail "${cli_versions[0]}" "no better-sqlite3 12 built in the repository"

prepare() { # prepare <cli version>: a fresh app in $work/<version>/shop, quick-start files, installed
  local cli_version="$1" dir="$work/$1"
  local app="$dir/shop"
  mkdir -p "$dir"
  (cd "$dir" && timeout 300 npx -y "@nestjs/cli@$cli_version" new shop --skip-git --skip-install \
    --package-manager npm) >"$dir/new.log" 2>&1 || { echo "nest new failed" >"$dir/failed"; return 1; }
  # The quick start replaces app.module.ts and main.ts; the generated controller and service go.
  rm -f "$app"/src/app.controller.ts "$app"/src/app.controller.spec.ts "$app"/src/app.service.ts
  cp -r "$root/examples/quick-start/." "$app/"
  cp "$app/.env.example" "$app/.env"
  (cd "$app" && timeout 300 npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    "$tarball" "${peers[@]}" "better-sqlite3@$sqlite_version" &&
    mkdir -p node_modules/better-sqlite3/build/Release &&
    cp "$addon" node_modules/better-sqlite3/build/Release/) >"$dir/install.log" 2>&1 ||
    { echo "npm install failed" >"$dir/failed"; return 1; }
}

echo "scaffolding and installing in parallel: @nestjs/cli ${cli_versions[*]}"
declare -A preparing
for cli_version in "${cli_versions[@]}"; do
  prepare "$cli_version" &
  preparing[$cli_version]=$!
done
# Every app is waited for before any failure is reported: none is left installing into $work.
failed=()
for cli_version in "${cli_versions[@]}"; do
  wait "${preparing[$cli_version]}" || failed+=("$cli_version")
done
for cli_version in "${failed[@]}"; do
  fail "$cli_version" "$(cat "$work/$cli_version/failed" 2>/dev/null || echo "preparing the app failed")"
done
echo "apps ready after $((SECONDS - started)) s"

wait_for() { # wait_for <seconds> <command...>: polls until the command succeeds
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
run() { # run <cli version>: builds the prepared app, boots it against a simulator, pays
  local cli_version="$1" dir="$work/$1"
  local app="$dir/shop" run_started=$SECONDS
  echo "nest build (@nestjs/cli@$cli_version)"
  (cd "$app" && timeout 180 npx nest build) >"$dir/build.log" 2>&1 || fail "$cli_version" "nest build failed"
  local app_port app_url simulator_url
  app_port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  app_url="http://127.0.0.1:$app_port"

  node "$root/dist/testing/cli.js" --port 0 --login qs-login --secret-key qs-secret \
    --notification-url "$app_url/placetopay/notification" >"$dir/simulator.log" 2>&1 &
  pids+=($!)
  wait_for 20 grep -q listening "$dir/simulator.log" || fail "$cli_version" "the simulator did not start"
  simulator_url="$(grep -o 'http://[0-9.:]*' "$dir/simulator.log" | head -1)"

  echo "booting the app (@nestjs/cli@$cli_version, $(cd "$app" && node -p 'require("./package.json").type ?? "commonjs"'))"
  (cd "$app" && PORT="$app_port" APP_URL="$app_url" PLACETOPAY_BASE_URL="$simulator_url" \
    PLACETOPAY_LOGIN=qs-login PLACETOPAY_SECRET_KEY=qs-secret exec node dist/main.js) \
    >"$dir/app.log" 2>&1 &
  pids+=($!)
  app_up() { # an unknown order's return route answers 404 once the app listens
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$app_url/checkout/none/return")" = 404 ]
  }
  wait_for 60 app_up || fail "$cli_version" "the app did not start"

  echo "paying over HTTP"
  timeout 60 node - "$app_url" <<'JS' >"$dir/pay.log" 2>&1 || fail "$cli_version" "the payment scenario failed"
const app = process.argv[2];
const form = (fields) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual',
});
async function pay(order, card) {
  const buy = await fetch(`${app}/checkout/${order}`, { redirect: 'manual' });
  const processUrl = buy.headers.get('location');
  if (buy.status !== 302 || !processUrl) throw new Error(`buy route: ${buy.status} ${await buy.text()}`);
  const page = await fetch(processUrl);
  if (page.status !== 200 || !(await page.text()).includes('name="card"'))
    throw new Error(`checkout page: ${page.status}`);
  const result = await fetch(processUrl, form({ card, expiry: '12/30', cvv: '123', action: 'pay' }));
  const html = await result.text();
  const back = /href="([^"]*\/return)"/.exec(html)?.[1];
  if (result.status !== 200 || !back) throw new Error(`card ${card}: ${result.status} ${html}`);
  const returned = await fetch(back.replace(/&amp;/g, '&'));
  const body = await returned.json();
  console.log(order, JSON.stringify(body));
  return body;
}
(async () => {
  const approved = await pay('QS-1', '4110760000000081');
  if (approved.reference !== 'QS-1' || approved.status !== 'APPROVED')
    throw new Error('the approved order is not APPROVED');
  const declined = await pay('QS-2', '4110760000000016');
  if (declined.status !== 'PENDING') throw new Error('a declined attempt must leave it PENDING');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
JS
  cat "$dir/pay.log"
  wait_for 30 grep -q 'order QS-1 paid' "$dir/app.log" || fail "$cli_version" "the listener did not log the payment"
  grep 'order QS-1 paid' "$dir/app.log"
  if grep -q 'order QS-2 paid' "$dir/app.log"; then fail "$cli_version" "the declined order was reported paid"; fi
  echo "quick start (@nestjs/cli@$cli_version, node $(node --version)): passed," \
    "$((SECONDS - run_started)) s after the install, $((SECONDS - started)) s since the start"
  stop_pids
}

for cli_version in "${cli_versions[@]}"; do run "$cli_version"; done
