/**
 * Cold start in a fresh process: `node dist/bench/coldstart.js package|raw`. Times the `require` of the package
 * (`dist/sdk/index.js`) or of the raw @pulumi/pulumi and @pulumi/kubernetes modules it uses, then touches the
 * @pulumi/kubernetes classes the component registers (the SDK loads them lazily, on first use) so both sides load
 * the same code. Prints one JSON line: `{ms, cpuMs, maxRssKiB}` (wall and CPU time of the loading, peak RSS). Imports nothing at the top on purpose.
 */
import * as path from "path";

export type ColdStartSubject = "package" | "raw";

/** Loads a module when called: the load is what is timed, so it cannot be a top-level import. */
function requireNow(id: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the timed work is this synchronous load, at this moment
    return require(id);
}

function load(subject: ColdStartSubject): void {
    if (subject === "package") {
        requireNow(path.resolve(__dirname, "../sdk/index.js"));
    } else if (subject === "raw") {
        requireNow("@pulumi/pulumi");
    } else {
        throw new Error(`unknown cold-start subject ${JSON.stringify(subject)} (package or raw)`);
    }
    // A type-only reference: erased from the output, it loads nothing.
    const k8s = requireNow("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
    for (const cls of [k8s.core.v1.Namespace, k8s.networking.v1.NetworkPolicy, k8s.apiextensions.CustomResource, k8s.helm.v3.Release]) {
        if (typeof cls !== "function") throw new Error("a @pulumi/kubernetes class the component uses did not load");
    }
}

if (require.main === module) {
    const subject = process.argv[2] as ColdStartSubject;
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    load(subject);
    const d = process.cpuUsage(cpu);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(JSON.stringify({ subject, ms, cpuMs: (d.user + d.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS }) + "\n");
}
