/**
 * `npm run bench`: runs the full benchmark, prints the table and writes it as JSON to bench/results/latest.json.
 * Progress goes to stderr, the table to stdout.
 *
 * `npm run bench -- --diagnose [HOSTSxNAMESPACES ...] [--reps N]` instead runs the component against the floor
 * and the floor variants that add one way of registering each (the component's dependsOn lists, the former
 * all-routes fan-in, Output-wrapped inputs; see cases.ts `FloorVariant`), default at 1000x10 and 1000x100 with
 * 3 repetitions, and writes bench/results/diagnose.json.
 */
import * as fs from "fs";
import * as path from "path";
import { FULL_CONFIG, diagnose, formatDiagnosis, formatReport, runBench } from "./harness";

export const RESULTS_FILE = path.resolve(__dirname, "../../bench/results/latest.json");

function parseDiagnoseArgs(argv: string[]): { sizes: { hosts: number; namespaces: number }[]; reps: number } {
    const sizes: { hosts: number; namespaces: number }[] = [];
    let reps = 3;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--diagnose") continue;
        if (a === "--reps") {
            reps = Number(argv[++i]);
            if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer; got ${argv[i]}`);
            continue;
        }
        const m = /^(\d+)x(\d+)$/.exec(a);
        if (!m) throw new Error(`expected HOSTSxNAMESPACES (e.g. 1000x100), --reps N or --diagnose; got ${a}`);
        sizes.push({ hosts: Number(m[1]), namespaces: Number(m[2]) });
    }
    return {
        sizes:
            sizes.length > 0
                ? sizes
                : [
                      { hosts: 1000, namespaces: 10 },
                      { hosts: 1000, namespaces: 100 },
                  ],
        reps,
    };
}

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    if (argv.includes("--diagnose")) {
        const { sizes, reps } = parseDiagnoseArgs(argv);
        const rows = diagnose(sizes, reps, (line) => process.stderr.write(`bench: ${line}\n`));
        process.stdout.write(formatDiagnosis(rows));
        const file = path.join(path.dirname(RESULTS_FILE), "diagnose.json");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + "\n");
        return;
    }
    if (argv.length > 0) throw new Error(`unknown arguments: ${argv.join(" ")} (only --diagnose takes arguments)`);
    const report = await runBench({ ...FULL_CONFIG, log: (line) => process.stderr.write(`bench: ${line}\n`) });
    process.stdout.write(formatReport(report));
    fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(report, null, 2) + "\n");
    process.stderr.write(`bench: wrote ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 1;
    });
}
