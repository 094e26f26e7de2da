/**
 * The long run of the args fuzzer (tests/helpers/args-fuzz.ts): `npm run fuzz [-- --runs N --engine M --seed S]`.
 *
 * Same generator and oracle as tests/args-fuzz.test.ts, with every probe on every case (`full`) and many more
 * cases: N mutated args through the plan and manifests (default 20000), N/10 valid ones, and M cases (valid and
 * mutated, up and preview) under the mock engine (default 1000). Prints the outcomes and the time; on the first
 * failure prints the case (shrunk by fast-check for the pure runs) and exits 1.
 */
import * as fc from "fast-check";
import { errorMessage } from "../sdk/model/read";
import { checkEngine, checkPure, FuzzFailure, mutatedArgs, Outcome, showArgs, validArgs } from "../tests/helpers/args-fuzz";

function flag(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number, got ${process.argv[i + 1]}`);
    return v;
}

async function main(): Promise<number> {
    const runs = flag("runs", 20000);
    const engineRuns = flag("engine", 1000);
    const seed = flag("seed", Date.now() % 2 ** 31);
    process.stdout.write(`args fuzz: seed ${seed}, ${runs} mutated + ${Math.ceil(runs / 10)} valid (plan), ${engineRuns} under the engine, every probe\n`);
    const tally: Record<string, number> = {};
    const count = (phase: string, o: Outcome) => {
        const k = `${phase}:${o.kind}`;
        tally[k] = (tally[k] ?? 0) + 1;
    };
    const started = process.hrtime.bigint();
    const report = (what: string, err: unknown, args: unknown, mutations: unknown) => {
        process.stdout.write(`\nFAILED (${what}): ${(err as Error).message}\nmutations: ${JSON.stringify(mutations)}\nargs: ${showArgs(args)}\n`);
    };
    try {
        fc.assert(
            fc.property(validArgs, (args) => {
                const o = checkPure(args);
                if (o.kind === "refused") throw new FuzzFailure(`valid args refused: ${o.message}`);
                count("valid", o);
            }),
            { numRuns: Math.ceil(runs / 10), seed },
        );
        fc.assert(
            fc.property(mutatedArgs, ({ args }) => {
                count("mutated", checkPure(args));
            }),
            { numRuns: runs, seed: seed + 1 },
        );
    } catch (err) {
        // fast-check's message has the (shrunk) counterexample; its cause says what the oracle found.
        const cause: unknown = err instanceof Error ? err.cause : undefined;
        process.stdout.write(`\nFAILED (plan): ${errorMessage(err)}\n${cause ? `cause: ${errorMessage(cause)}\n` : ""}`);
        return 1;
    }
    const engineCases = [
        ...fc.sample(validArgs, { numRuns: Math.ceil(engineRuns / 4), seed: seed + 2 }).map((args) => ({ args, mutations: [] as unknown[] })),
        ...fc.sample(mutatedArgs, { numRuns: engineRuns - Math.ceil(engineRuns / 4), seed: seed + 3 }),
    ];
    for (const [i, { args, mutations }] of engineCases.entries()) {
        try {
            count(i % 4 === 3 ? "engine-preview" : "engine-up", await checkEngine(args, i % 4 === 3));
        } catch (err) {
            report(`engine case ${i}`, err, args, mutations);
            return 1;
        }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stdout.write(`outcomes: ${JSON.stringify(tally)}\nno failure in ${seconds.toFixed(1)} s (seed ${seed})\n`);
    return 0;
}

main().then(
    (code) => {
        process.exitCode = code;
        setTimeout(() => process.exit(code), 200).unref();
    },
    (err) => {
        process.stderr.write(`fuzz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 2;
    },
);
