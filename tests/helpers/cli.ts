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
    (process.stdout as any).write = (s: any) => (out.push(String(s)), true);
    (process.stderr as any).write = (s: any) => (err.push(String(s)), true);
    try {
        const code = await main(argv);
        return { code, out: out.join(""), err: err.join("") };
    } finally {
        (process.stdout as any).write = so;
        (process.stderr as any).write = se;
    }
}
