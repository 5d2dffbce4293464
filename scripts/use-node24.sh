# Source this file: puts Node.js 24 first on PATH when the machine's node is older, for commands
# run outside npm scripts (npm scripts and npx already find the one `npm ci` put in node_modules).
# It is the npm registry's `node` package at the version package.json pins: the checkout's own
# after `npm ci`, else installed once into a cache folder (before `npm ci`, or with --ignore-scripts).
# Usage: source scripts/use-node24.sh
_sw_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_sw_node_major)" -lt 24 ]; then
  _sw_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -x "$_sw_root/node_modules/node/bin/node" ]; then
    export PATH="$_sw_root/node_modules/node/bin:$PATH"
  else
    _sw_version="$(grep -o '"node": "[0-9][0-9.]*"' "$_sw_root/package.json" | grep -o '[0-9][0-9.]*')"
    _sw_node_dir="${STREAMWATCH_CACHE:-$HOME/.cache/streamwatch}/node-$_sw_version"
    if [ ! -x "$_sw_node_dir/node_modules/node/bin/node" ]; then
      echo "installing Node.js $_sw_version into $_sw_node_dir" >&2
      mkdir -p "$_sw_node_dir"
      npm install --prefix "$_sw_node_dir" --no-audit --no-fund --loglevel=error "node@$_sw_version" >&2
    fi
    export PATH="$_sw_node_dir/node_modules/node/bin:$PATH"
  fi
  unset _sw_root _sw_version _sw_node_dir
fi
unset -f _sw_node_major
