#!/usr/bin/env node
/**
 * Picks the BLAS that binding.gyp builds the native kernels against: oneDNN (preferred: its sgemm dispatches on
 * the CPU's features) or OpenBLAS. node-gyp calls it once per field:
 *   node native/detect.js defines | includes | libs
 * NEXTREC_NATIVE_BLAS=onednn|openblas forces one; ONEDNN_ROOT / OPENBLAS_ROOT add a prefix to search.
 * Exits non-zero (so the build, and only the optional build, fails) when neither is found.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
const prefixes = [
  process.env.ONEDNN_ROOT, process.env.DNNLROOT, process.env.OPENBLAS_ROOT,
  '/usr', '/usr/local', '/opt/homebrew', '/opt/homebrew/opt/onednn', '/opt/homebrew/opt/openblas',
  '/usr/local/opt/onednn', '/usr/local/opt/openblas',
].filter(Boolean);
const libDirs = (prefix) => [path.join(prefix, 'lib', multiarch), path.join(prefix, 'lib64'), path.join(prefix, 'lib')];
const libFile = (name) => (process.platform === 'darwin' ? `lib${name}.dylib` : `lib${name}.so`);

function findOneDnn() {
  for (const prefix of prefixes) {
    const include = path.join(prefix, 'include');
    if (!fs.existsSync(path.join(include, 'oneapi', 'dnnl', 'dnnl.h'))) continue;
    const lib = libDirs(prefix).find((d) => fs.existsSync(path.join(d, libFile('dnnl'))));
    if (lib) return { name: 'onednn', define: 'NEXTREC_USE_DNNL', include, lib, link: 'dnnl' };
  }
  return null;
}

function findOpenBlas() {
  for (const prefix of prefixes) {
    for (const dir of libDirs(prefix)) {
      for (const sub of ['', 'openblas-pthread', 'openblas-openmp', 'openblas-serial']) {
        const lib = path.join(dir, sub);
        if (fs.existsSync(path.join(lib, libFile('openblas')))) {
          return { name: 'openblas', define: 'NEXTREC_USE_OPENBLAS', include: path.join(prefix, 'include'), lib, link: 'openblas' };
        }
      }
    }
  }
  return null;
}

function choose() {
  const forced = process.env.NEXTREC_NATIVE_BLAS;
  if (forced && !['onednn', 'openblas'].includes(forced)) {
    throw new Error(`NEXTREC_NATIVE_BLAS must be 'onednn' or 'openblas' (got '${forced}')`);
  }
  const found = forced === 'openblas' ? findOpenBlas() : forced === 'onednn' ? findOneDnn() : findOneDnn() || findOpenBlas();
  if (!found) {
    throw new Error(
      `no ${forced || 'oneDNN or OpenBLAS'} development files found (Debian/Ubuntu: apt-get install libdnnl-dev, ` +
        'or libopenblas-dev; macOS: brew install onednn, or openblas)',
    );
  }
  return found;
}

function main() {
  const field = process.argv[2];
  let blas;
  try {
    blas = choose();
  } catch (err) {
    process.stderr.write(`nextrec-ts native kernels: ${err.message}\n`);
    process.exit(1);
  }
  // a Homebrew or custom prefix is not on the loader's default path
  const rpath = `-Wl,-rpath,${blas.lib}`;
  const out = {
    defines: [blas.define],
    includes: [blas.include],
    libs: [`-L${blas.lib}`, `-l${blas.link}`, rpath],
    name: [blas.name],
  }[field];
  if (!out) {
    process.stderr.write(`usage: node native/detect.js defines|includes|libs|name\n`);
    process.exit(2);
  }
  process.stdout.write(out.join(' ') + '\n');
}

if (require.main === module) main();
module.exports = { choose };
