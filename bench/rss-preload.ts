/**
 * Preloaded (`node -r dist/bench/rss-preload.js ...`) into a child whose own output we do not control (the
 * `istio-egress` CLI): on exit, writes the process's peak RSS (KiB) and CPU time (ms) to the file named by
 * BENCH_RSS_FILE.
 */
import * as fs from "fs";

const file = process.env.BENCH_RSS_FILE;
if (file) {
    process.on("exit", () => {
        const u = process.resourceUsage();
        // CPU time of the whole process (user + system, all threads) since it started.
        fs.writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
    });
}
