#!/usr/bin/env node
/**
 * `istio-egress` command line: `render` runs a Pulumi program offline and reports on it; `check` runs the
 * policy pack's rules over Kubernetes YAML.
 */
const USAGE = `usage: istio-egress <command> [options]

commands:
  render DIR [--out OUTDIR] [--json] [--stack NAME] [--config key=value ...]
      run the Pulumi program in DIR under an in-process mock engine, write the Kubernetes objects it would
      create, print the egress access report and the policy pack's verdict
  check [--json] FILE|DIR ...
      run the policy pack's rules over Kubernetes YAML (multi-document); exit 1 on a mandatory violation
`;

export async function main(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    switch (command) {
        case "render":
            return (await import("./render.js")).main(rest);
        case "check":
            return (await import("./check.js")).main(rest);
        case undefined:
        case "-h":
        case "--help":
        case "help":
            process.stdout.write(USAGE);
            return command === undefined ? 2 : 0;
        default:
            process.stderr.write(`istio-egress: unknown command "${command}"\n${USAGE}`);
            return 2;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (err) => {
            process.stderr.write(`istio-egress: ${err?.stack ?? err}\n`);
            process.exitCode = 2;
        },
    );
}
