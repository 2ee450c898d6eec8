// Preloaded with `NODE_OPTIONS=--require …/cpu-profile.js` (Node 20 refuses --cpu-prof in
// NODE_OPTIONS): profiles the whole process and writes a .cpuprofile into
// BENCH_CPU_PROFILE_DIR when it exits, or when the engine stops it with a signal (the
// dynamic-provider plugin). bench/profile.js summarizes the files.
"use strict";
const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const fs = require("node:fs");
  const path = require("node:path");
  const inspector = require("node:inspector");
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // On the main thread the session answers synchronously, so this works inside "exit".
    session.post("Profiler.stop", (err, res) => {
      if (err) return;
      const role = process.argv.some((a) => a.includes("dynamic-provider")) ? "provider" : process.argv.some((a) => a.includes("cmd/run")) ? "program" : "node";
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  };
  process.on("exit", write);
  for (const sig of ["SIGTERM", "SIGINT"]) {
    process.once(sig, () => {
      write();
      process.exit(0);
    });
  }
}
