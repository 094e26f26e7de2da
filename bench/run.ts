/**
 * `npm run bench`: runs the full benchmark, prints the table and writes it as JSON to bench/results/latest.json.
 * Progress goes to stderr, the table to stdout.
 */
import * as fs from "fs";
import * as path from "path";
import { FULL_CONFIG, formatReport, runBench } from "./harness";

export const RESULTS_FILE = path.resolve(__dirname, "../../bench/results/latest.json");

async function main(): Promise<void> {
    const report = await runBench({ ...FULL_CONFIG, log: (line) => process.stderr.write(`bench: ${line}\n`) });
    process.stdout.write(formatReport(report));
    fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(report, null, 2) + "\n");
    process.stderr.write(`bench: wrote ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`bench: ${err?.stack ?? err}\n`);
        process.exitCode = 1;
    });
}
