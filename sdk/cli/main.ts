#!/usr/bin/env node
/**
 * `istio-egress` command line: `render` runs a Pulumi program offline and reports on it; `check` runs the
 * policy pack's rules over Kubernetes YAML. A bad invocation is one line on stderr and exit 2; an unexpected
 * error too (its stack only with ISTIO_EGRESS_DEBUG=1).
 */
import { errorMessage, shown } from "../model/read.js";
const USAGE = `usage: istio-egress <command> [options]

commands:
  render DIR [--out OUTDIR] [--json] [--stack NAME] [--config key=value ...] [--timeout SECONDS] [--policy-config FILE] ...
      run the Pulumi program in DIR under an in-process mock engine, write the Kubernetes objects it would
      create, print the egress access report and the policy pack's verdict
  check [--format text|json|sarif] [--policy-config FILE] [-n NS] FILE|DIR|- ...
      run the policy pack's rules over Kubernetes YAML (multi-document); exit 1 on a mandatory violation
`;

export async function main(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    switch (command) {
        case "render":
            return (await import("./render.js")).main(rest);
        case "check":
            return (await import("./check.js")).main(rest);
        case "-h":
        case "--help":
        case "help":
            process.stdout.write(USAGE);
            return 0;
        case undefined:
            process.stderr.write("istio-egress: a command is required: render or check (istio-egress --help for usage)\n");
            return 2;
        default:
            process.stderr.write(`istio-egress: unknown command "${command}": expected render or check (istio-egress --help for usage)\n`);
            return 2;
    }
}

/**
 * Sets the exit code, and makes sure the process ends: a program that `render` gave up on (--timeout) may still
 * hold timers or sockets that would keep Node running. The timer is unref'd, so a process with nothing left to do
 * exits at once as usual.
 */
function finish(code: number): void {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 200).unref();
}

if (require.main === module) {
    main(process.argv.slice(2)).then(finish, (err: unknown) => {
        const debug = process.env.ISTIO_EGRESS_DEBUG === "1";
        process.stderr.write(
            `istio-egress: ${debug ? shown((err as { stack?: unknown } | null | undefined)?.stack ?? err) : errorMessage(err).split("\n")[0]}${debug ? "" : " (ISTIO_EGRESS_DEBUG=1 for details)"}\n`,
        );
        finish(2);
    });
}
