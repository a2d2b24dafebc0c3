#!/usr/bin/env bash
# Compatibility matrix: packs the library once and installs the tarball into four consumers, each in
# its own directory, then runs the same create → pay on the simulator → notification → listener
# scenario in each (.ci/compat/scenario.cjs). Fails if any consumer fails.
#
# Nest 12 consumers are ESM ("type": "module"): the CommonJS build loads Nest's ESM packages through
# require(esm). Nest 11 consumers are CommonJS. Both majors run on TypeORM 0.3.x and 1.x: the
# peer range of @nestjs/typeorm 12 and of @nestjs/typeorm >= 11.0.1 is "^0.3.0 || ^1.0.0-dev"
# (11.0.0 took 0.3 only, hence ^11.0.1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -f "$root/dist/index.js" ] || { echo "run npm run build first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
tarball="$work/$(cd "$root" && npm pack --silent --ignore-scripts --pack-destination "$work" | tail -1)"

# better-sqlite3@^12 (13 crashes on Node 20) compiles from source when no prebuilt binary can be
# downloaded, minutes per copy: the consumers install without scripts (it is the only package with
# one) and get the addon the repository's own `npm ci` built, for the same version and Node.
addon="$root/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
sqlite_version="$(node -p "require('$root/node_modules/better-sqlite3/package.json').version" 2>/dev/null || true)"
if [ ! -f "$addon" ] || [ "${sqlite_version%%.*}" != 12 ]; then
  echo "no better-sqlite3 12 built in the repository: building one for the consumers"
  mkdir "$work/sqlite"
  (cd "$work/sqlite" && echo '{"private":true}' >package.json &&
    npm install --no-audit --no-fund --loglevel=error better-sqlite3@^12 >install.log 2>&1) ||
    { tail -n 40 "$work/sqlite/install.log" >&2; exit 1; }
  addon="$work/sqlite/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
  sqlite_version="$(node -p "require('$work/sqlite/node_modules/better-sqlite3/package.json').version")"
fi

shared=("$tarball" "better-sqlite3@$sqlite_version" axios@^1 rxjs@^7 reflect-metadata@^0.2)
nest12=(@nestjs/common@^12 @nestjs/core@^12 @nestjs/platform-express@^12 @nestjs/axios@^12
  @nestjs/typeorm@^12)
nest11=(@nestjs/common@^11 @nestjs/core@^11 @nestjs/platform-express@^11 @nestjs/axios@^4
  @nestjs/typeorm@^11.0.1)
# name, package.json "type", entry point, packages beyond the shared ones
names=(nest12-typeorm1 nest12-typeorm03 nest11-typeorm03 nest11-typeorm1)
declare -A type entry packages
type[nest12-typeorm1]=module entry[nest12-typeorm1]=esm.mjs
packages[nest12-typeorm1]="${nest12[*]} typeorm@^1"
type[nest12-typeorm03]=module entry[nest12-typeorm03]=esm.mjs
packages[nest12-typeorm03]="${nest12[*]} typeorm@^0.3.20"
type[nest11-typeorm03]=commonjs entry[nest11-typeorm03]=cjs.cjs
packages[nest11-typeorm03]="${nest11[*]} typeorm@^0.3.20"
type[nest11-typeorm1]=commonjs entry[nest11-typeorm1]=cjs.cjs
packages[nest11-typeorm1]="${nest11[*]} typeorm@^1"

# Installs run in parallel (one npm cache); the apps then run one at a time.
declare -A installer
for name in "${names[@]}"; do
  dir="$work/$name"
  mkdir "$dir"
  printf '{"name":"compat-%s","private":true,"type":"%s"}\n' "$name" "${type[$name]}" \
    >"$dir/package.json"
  cp "$root/.ci/compat/scenario.cjs" "$root/.ci/compat/${entry[$name]}" "$dir/"
  # shellcheck disable=SC2086 # packages[] is a space-separated list of specs
  (cd "$dir" &&
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
      "${shared[@]}" ${packages[$name]} &&
    mkdir -p node_modules/better-sqlite3/build/Release &&
    cp "$addon" node_modules/better-sqlite3/build/Release/) >"$dir/install.log" 2>&1 &
  installer[$name]=$!
done

failed=()
for name in "${names[@]}"; do
  dir="$work/$name"
  if ! wait "${installer[$name]}"; then
    echo "$name: npm install failed" >&2
    tail -n 40 "$dir/install.log" >&2
    failed+=("$name")
    continue
  fi
  versions="$(cd "$dir" && node -e '
    const v = (n) => require(`./node_modules/${n}/package.json`).version;
    console.log(["@nestjs/core", "@nestjs/typeorm", "@nestjs/platform-express", "@nestjs/axios",
      "typeorm", "better-sqlite3"].map((n) => `${n}@${v(n)}`).join(" "));')"
  echo "$name (${type[$name]}, node $(node --version)): $versions"
  if ! (cd "$dir" && timeout 120 node "${entry[$name]}"); then
    echo "$name: the consumer failed" >&2
    failed+=("$name")
  fi
done

echo "compatibility matrix: $((SECONDS - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "compatibility matrix failed: ${failed[*]}" >&2
  exit 1
fi
