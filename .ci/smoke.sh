#!/usr/bin/env bash
# Packs the library and boots it from the tarball in a Nest 12 (ESM) consumer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$root/dist/index.js" ] || { echo "run npm run build first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -1)"
cd "$work"
echo '{"name":"smoke-nest12","private":true,"type":"module"}' > package.json
npm install --no-audit --no-fund --loglevel=error "$work/$tarball" \
  @nestjs/common@^12 @nestjs/core@^12 @nestjs/axios@^12 axios rxjs reflect-metadata
cp "$root/.ci/smoke/nest12.mjs" smoke.mjs
node smoke.mjs || { echo "the Nest 12 consumer failed (exit $?)" >&2; exit 1; }
