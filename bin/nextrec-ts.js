#!/usr/bin/env node
// Runs the built CLI when dist/ exists, otherwise the TypeScript source through ts-node (repository checkout).
const path = require('path');
const fs = require('fs');
const built = path.join(__dirname, '..', 'dist', 'cli.js');
let cli;
if (fs.existsSync(built)) cli = require(built);
else {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  cli = require('../src/cli.ts');
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
