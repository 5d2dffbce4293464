# Source this file: puts Node.js 24 first on PATH when the machine's node is older.
# Node 24 comes from the npm registry's `node` package, installed once into a cache folder.
# Usage: source scripts/use-node24.sh
_sw_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_sw_node_major)" -lt 24 ]; then
  _sw_node_dir="${STREAMWATCH_CACHE:-$HOME/.cache/streamwatch}/node24"
  if [ ! -x "$_sw_node_dir/node_modules/.bin/node" ]; then
    echo "installing Node.js 24 into $_sw_node_dir" >&2
    mkdir -p "$_sw_node_dir"
    npm install --prefix "$_sw_node_dir" --no-audit --no-fund --loglevel=error node@24 >&2
  fi
  export PATH="$_sw_node_dir/node_modules/.bin:$PATH"
fi
unset -f _sw_node_major
