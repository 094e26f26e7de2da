/**
 * One measurement in a fresh process: `node dist/bench/child.js '<json spec>'`. Prints one JSON line with the
 * measurement and the process's peak RSS (`process.resourceUsage().maxRSS`, KiB). A process per measurement keeps
 * the Pulumi runtime's global state and the heap of one case away from the next.
 */
import { componentCase, packCase, ComponentSubject, PackSubject } from "./cases";

export type ChildSpec =
    { case: "component"; hosts: number; namespaces: number; subject: ComponentSubject } | { case: "pack"; size: number; subject: PackSubject };

async function run(spec: ChildSpec): Promise<unknown> {
    switch (spec.case) {
        case "component":
            return componentCase(spec.hosts, spec.namespaces, spec.subject);
        case "pack":
            return packCase(spec.size, spec.subject);
        default:
            throw new Error(`unknown case ${JSON.stringify(spec)}`);
    }
}

if (require.main === module) {
    const spec = JSON.parse(process.argv[2] ?? "null") as ChildSpec;
    run(spec).then(
        (result) => {
            process.stdout.write(JSON.stringify({ result, maxRssKiB: process.resourceUsage().maxRSS }) + "\n");
        },
        (err) => {
            process.stderr.write(`bench child ${JSON.stringify(spec)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
            process.exitCode = 1;
        },
    );
}
