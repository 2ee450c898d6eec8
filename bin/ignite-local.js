#!/usr/bin/env node
// The `ignite-local` command: the compiled CLI lives in dist/ (run `npm run build` first).
"use strict";
require("../dist/emulator/cli.js")
  .main(process.argv.slice(2))
  .catch((err) => {
    process.stderr.write(`ignite-local: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
