/** Runs a CLI command's `main` in-process and captures what it writes to stdout and stderr. */
export interface CliRun {
    code: number;
    out: string;
    err: string;
}

export async function captureCli(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<CliRun> {
    const out: string[] = [];
    const err: string[] = [];
    const so = process.stdout.write.bind(process.stdout);
    const se = process.stderr.write.bind(process.stderr);
    // Only the chunk is kept (an encoding or callback argument is ignored, as before); the cast fits the one
    // function to `write`'s overloads.
    const into = (chunks: string[]) => ((s: string | Uint8Array) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
    process.stdout.write = into(out);
    process.stderr.write = into(err);
    try {
        const code = await main(argv);
        return { code, out: out.join(""), err: err.join("") };
    } finally {
        process.stdout.write = so;
        process.stderr.write = se;
    }
}
