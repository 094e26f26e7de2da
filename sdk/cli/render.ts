/**
 * `istio-egress render DIR [--out OUTDIR] [--json] [--stack NAME] [--config key=value ...]
 *                          [--policy-config FILE] [--stack-reference NAME=FILE ...] [--show-secrets]`
 *
 * Runs the Pulumi program in DIR under the in-process mock engine, writes the Kubernetes objects it would create
 * (one YAML file per object, the Helm release as the chart/version/values it would install, a summary), prints the
 * egress access report and writes it with a Mermaid diagram, then runs the policy pack and prints its verdict.
 *
 * Exit codes: 0 — the program ran, every object is schema-valid, no mandatory policy is violated and the access
 * report has no critical finding; 1 — a mandatory policy violation, or a critical report finding (a path around
 * the gateway, a hijacked route); 2 — usage error, the program failed, or an object is invalid.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { validateAll } from "../schema/validate.js";
import { formatReportTable, reportVerdict } from "../analysis/report.js";
import { ProgramLoadError } from "../render/loader.js";
import { ProgramError, RenderResult, renderProgram, reportFor, writeRender } from "../render/render.js";
import type { Violation } from "istio-egress-guard/lib";
import { fromCaptured } from "../render/objects.js";
import { loadGuard } from "./guard.js";

const USAGE = `usage: istio-egress render DIR [--out OUTDIR] [--json] [--stack NAME] [--config key=value ...]
                          [--policy-config FILE] [--stack-reference ORG/PROJECT/STACK=FILE ...] [--show-secrets]

  DIR                 a Pulumi program (Pulumi.yaml, runtime nodejs; TypeScript or JavaScript entry)
  --out OUTDIR        where to write the objects, summary, report and diagram (default: out)
  --json              print {objects, report, violations} as JSON on stdout (human output goes to stderr)
  --stack NAME        stack name; its Pulumi.NAME.yaml config is read when present (default: dev)
  --config key=value  stack config (repeatable); bare keys belong to the project
  --policy-config F   policy pack configuration (JSON or YAML), as for pulumi --policy-pack-config
  --stack-reference N=F  outputs (JSON or YAML) of another stack N read through StackReference (repeatable)
  --show-secrets      write secret values in the clear (default: REDACTED)
`;

export type PolicyViolation = Violation;

interface Args {
    dir: string;
    out: string;
    json: boolean;
    stack?: string;
    config: Record<string, string>;
    policyConfig?: string;
    stackReferences: Record<string, string>;
    showSecrets: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
    const args: Args = { dir: "", out: "out", json: false, config: {}, stackReferences: {}, showSecrets: false };
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        let a = argv[i];
        let inline: string | undefined;
        const eq = a.startsWith("--") ? a.indexOf("=") : -1;
        if (eq > 0) {
            inline = a.slice(eq + 1);
            a = a.slice(0, eq);
        }
        const value = () => {
            if (inline !== undefined) {
                return inline;
            }
            const v = argv[++i];
            if (v === undefined) {
                throw new UsageError(`${a} needs a value`);
            }
            return v;
        };
        switch (a) {
            case "--out":
            case "-o":
                args.out = value();
                break;
            case "--json":
                args.json = true;
                break;
            case "--show-secrets":
                args.showSecrets = true;
                break;
            case "--stack":
            case "-s":
                args.stack = value();
                break;
            case "--config":
            case "-c": {
                const kv = value();
                const k = kv.indexOf("=");
                if (k <= 0) {
                    throw new UsageError(`--config "${kv}": expected key=value`);
                }
                args.config[kv.slice(0, k)] = kv.slice(k + 1);
                break;
            }
            case "--policy-config":
                args.policyConfig = value();
                break;
            case "--stack-reference": {
                const kv = value();
                const k = kv.indexOf("=");
                if (k <= 0) {
                    throw new UsageError(`--stack-reference "${kv}": expected ORG/PROJECT/STACK=FILE`);
                }
                args.stackReferences[kv.slice(0, k)] = kv.slice(k + 1);
                break;
            }
            default:
                if (a.startsWith("-")) {
                    throw new UsageError(`unknown option ${a}`);
                }
                positional.push(argv[i]);
        }
    }
    if (positional.length !== 1) {
        throw new UsageError(positional.length === 0 ? "DIR is required" : `expected one DIR, got ${positional.join(" ")}`);
    }
    args.dir = positional[0];
    return args;
}

function readDataFile(file: string, what: string): any {
    try {
        const text = fs.readFileSync(file, "utf8");
        return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    } catch (err: any) {
        throw new UsageError(`${what} ${file}: ${err.message}`);
    }
}

function formatViolations(violations: PolicyViolation[]): string {
    if (violations.length === 0) {
        return "policy pack: no violations\n";
    }
    const lines = violations.map((v) => {
        const r = v.resource;
        return `  [${v.enforcementLevel}] ${v.policy}: ${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}: ${v.message}`;
    });
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    return `policy pack: ${violations.length} violation(s), ${mandatory} mandatory\n${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
    if (argv.includes("-h") || argv.includes("--help")) {
        process.stdout.write(USAGE);
        return 0;
    }
    let args: Args;
    let policyConfig: Record<string, any> | undefined;
    const stackReferences: Record<string, Record<string, any>> = {};
    try {
        args = parseArgs(argv);
        if (args.policyConfig) {
            policyConfig = readDataFile(args.policyConfig, "--policy-config") ?? {};
        }
        for (const [name, file] of Object.entries(args.stackReferences)) {
            stackReferences[name] = readDataFile(file, "--stack-reference") ?? {};
        }
    } catch (err: any) {
        process.stderr.write(`istio-egress render: ${err.message}\n${USAGE}`);
        return 2;
    }
    // In --json mode stdout carries only the JSON document.
    const say = (s: string) => (args.json ? process.stderr : process.stdout).write(s);
    const fail = (s: string) => process.stderr.write(s);

    let result: RenderResult;
    try {
        result = await renderProgram(args.dir, { stack: args.stack, config: args.config, stackReferences, showSecrets: args.showSecrets });
    } catch (err: any) {
        if (err instanceof ProgramError) {
            fail(`istio-egress render: the program in ${args.dir} failed: ${err.message}\n`);
        } else if (err instanceof ProgramLoadError) {
            fail(`istio-egress render: ${err.message}\n`);
        } else {
            fail(`istio-egress render: ${err?.message ?? err}\n`);
        }
        return 2;
    }

    const problems = await validateAll(result.objects);
    const report = reportFor(result);
    let violations: PolicyViolation[] = [];
    let policyError: string | undefined;
    try {
        violations = await loadGuard().runPolicies(fromCaptured(result.resources), { config: policyConfig });
    } catch (err: any) {
        policyError = String(err?.message ?? err);
    }
    const outDir = path.resolve(args.out);
    const written = writeRender(outDir, result, report, { violations });

    say(`rendered ${result.project.name} (stack ${result.stack}): ${result.objects.length} object(s), ${result.helmReleases.length} Helm release(s) → ${path.relative(process.cwd(), outDir) || "."}/\n`);
    for (const h of result.helmReleases) {
        say(`  Helm release ${h.namespace}/${h.name}: chart ${h.chart}${h.version ? ` ${h.version}` : ""}${h.repository ? ` from ${h.repository}` : ""} (not rendered; values in ${written.helmReleases.find((w) => w.name === h.name && w.namespace === h.namespace)?.file})\n`);
    }
    for (const s of result.skipped) {
        say(`  skipped ${s.urn}: ${s.reason}\n`);
    }
    say("\negress access report (source × external host):\n");
    say(formatReportTable(report));
    say(`(diagram: ${path.join(path.relative(process.cwd(), outDir) || ".", "report.mmd")})\n\n`);
    if (problems.length > 0) {
        fail(`schema validation: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}\n`).join("")}`);
    }
    if (policyError) {
        fail(`policy pack: failed to run: ${policyError}\n`);
    } else {
        say(formatViolations(violations));
    }

    if (args.json) {
        process.stdout.write(
            JSON.stringify(
                {
                    project: result.project.name,
                    stack: result.stack,
                    outDir,
                    objects: written.objects,
                    helmReleases: written.helmReleases,
                    outputs: result.outputs,
                    report: { rows: report.rows, gateways: report.gateways, warnings: report.warnings },
                    violations,
                    schemaProblems: problems,
                    ...(policyError ? { policyError } : {}),
                },
                null,
                2,
            ) + "\n",
        );
    }
    if (problems.length > 0 || policyError) {
        return 2;
    }
    if (loadGuard().hasMandatory(violations)) {
        say("verdict: FAIL (mandatory policy violation)\n");
        return 1;
    }
    // Never PASS under a report row that goes around the gateway (or another critical finding).
    const rv = reportVerdict(report);
    if (!rv.pass) {
        say(`verdict: FAIL (access report: ${rv.critical.length} critical finding${rv.critical.length === 1 ? "" : "s"}, e.g. ${rv.critical[0].message})\n`);
        return 1;
    }
    say("verdict: PASS\n");
    return 0;
}
