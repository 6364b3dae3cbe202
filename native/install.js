#!/usr/bin/env node
/**
 * npm install hook: build the optional native kernels (binding.gyp -> build/Release/nextrec_native.node) with
 * node-gyp. It never fails the install: without a C++ toolchain, Node headers or oneDNN/OpenBLAS development
 * files it prints one line and the package uses its wasm kernels. The full build log goes to build/native-build.log.
 *   NEXTREC_NATIVE=0 npm install     skips the build
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const say = (msg) => console.log(`nextrec-ts: ${msg}`);

function nodeGyp() {
  // npm tells lifecycle scripts where its bundled node-gyp is; otherwise look next to npm, then in node_modules
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not installed as a package */
  }
  const execDir = path.dirname(process.execPath);
  candidates.push(
    path.join(execDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(execDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  return candidates.find((c) => c && fs.existsSync(c));
}

function main() {
  if (process.env.NEXTREC_NATIVE === '0') {
    say('native kernels not built (NEXTREC_NATIVE=0); using the wasm kernels');
    return;
  }
  const gyp = nodeGyp();
  if (!gyp) {
    say('native kernels not built (node-gyp not found); using the wasm kernels');
    return;
  }
  const args = [gyp, 'rebuild'];
  // build against the running Node's own headers when npm has not been told where they are: node-gyp would
  // otherwise try to download them
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const log = `${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}`;
  try {
    fs.mkdirSync(path.join(root, 'build'), { recursive: true });
    fs.writeFileSync(path.join(root, 'build', 'native-build.log'), log);
  } catch {
    /* read-only install location: the one line below still says what happened */
  }
  if (r.status === 0) {
    say('native kernels built (build/Release/nextrec_native.node)');
    return;
  }
  // the most telling line: our detection's message, the compiler's first error, or node-gyp's own
  const found = [/nextrec-ts native kernels: (.*)/, /(fatal error: .*|error: .*)/, /gyp ERR! stack Error: (.*)/].map((re) => re.exec(log)).find(Boolean);
  const reason = found ? `${found[1]}; log in build/native-build.log` : 'see build/native-build.log';
  say(`native kernels not built (${reason.trim().slice(0, 200)}); using the wasm kernels`);
}

try {
  main();
} catch (err) {
  say(`native kernels not built (${err && err.message}); using the wasm kernels`);
}
