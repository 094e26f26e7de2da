/**
 * Preloaded (`node -r dist/bench/rss-preload.js ...`) into a child whose own output we do not control (the
 * `istio-egress` CLI): on exit, writes the process's peak RSS (KiB) to the file named by BENCH_RSS_FILE.
 */
import * as fs from "fs";

const file = process.env.BENCH_RSS_FILE;
if (file) {
    process.on("exit", () => {
        fs.writeFileSync(file, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
    });
}
