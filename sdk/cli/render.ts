/**
 * `istio-egress render DIR [--out OUTDIR] [--json] [--stack NAME] [--config key=value ...] [--timeout SECONDS]
 *                          [--policy-config FILE] [--stack-reference NAME=FILE ...] [--show-secrets]`
 *
 * Runs the Pulumi program in DIR under the in-process mock engine, writes the Kubernetes objects it would create
 * (one YAML file per object, the Helm release as the chart/version/values it would install, a summary), prints the
 * egress access report and writes it with a Mermaid diagram, then runs the policy pack and prints its verdict.
 *
 * Exit codes: 0 — the program ran, every object is schema-valid, no mandatory policy is violated and the access
 * report has no critical finding; 1 — a mandatory policy violation, or a critical report finding (a path around
 * the gateway, a hijacked route); 2 — usage error, the program failed or did not finish, an object is invalid, or
 * the output directory cannot be used. Every error is one line on stderr, never a stack trace.
 */
import * as path from "path";
import { validateAll } from "../schema/validate.js";
import { errorMessage, shown } from "../model/index.js";
import { AccessReport, formatReportTable, reportVerdict } from "../analysis/report.js";
import { ProgramLoadError } from "../render/loader.js";
import {
    checkOutputDir,
    DEFAULT_TIMEOUT_SECONDS,
    MANIFEST_FILE,
    OutputDirError,
    ProgramError,
    RenderResult,
    renderProgram,
    reportFor,
    WrittenFiles,
    writeRender,
} from "../render/render.js";
import type { Violation } from "istio-egress-guard/lib";
import { fromCaptured } from "../render/objects.js";
import { ConfigFileError, readPolicyConfigFile, readStackOutputsFile } from "./config-file.js";
import { GuardMissingError, loadGuard } from "./guard.js";

const USAGE = `usage: istio-egress render DIR [--out OUTDIR] [--json] [--stack NAME] [--config key=value ...]
                          [--timeout SECONDS] [--policy-config FILE] [--stack-reference ORG/PROJECT/STACK=FILE ...]
                          [--show-secrets]

  DIR                 a Pulumi program (Pulumi.yaml, runtime nodejs; TypeScript or JavaScript entry)
  --out OUTDIR        where to write the objects, summary, report and diagram (default: out); a new or empty
                      directory, or one an earlier render wrote (render replaces only its own files, listed in
                      OUTDIR/${MANIFEST_FILE}, and refuses a directory holding anything else)
  --json              print {objects, report, violations} as JSON on stdout (human output goes to stderr)
  --stack NAME        stack name; its Pulumi.NAME.yaml config is read when present (default: dev)
  --config key=value  stack config (repeatable); bare keys belong to the project
  --timeout SECONDS   give up (exit 2) on a program that has not finished by then (default: ${DEFAULT_TIMEOUT_SECONDS})
  --policy-config F   policy pack configuration (JSON or YAML), as for pulumi --policy-pack-config
  --stack-reference N=F  outputs (JSON or YAML) of another stack N read through StackReference (repeatable)
  --show-secrets      write secret values in the clear (default: REDACTED)
`;

export type PolicyViolation = Violation;

/** The document `render --json` prints on stdout: the contract scripts and CI read. */
export interface RenderJson {
    project: string;
    stack: string;
    outDir: string;
    objects: WrittenFiles["objects"];
    helmReleases: WrittenFiles["helmReleases"];
    /** Every file written, the manifest last. */
    files: string[];
    /** Files of the previous render that this one removed. */
    removed: string[];
    /** The program's stack outputs, resolved (secrets REDACTED unless --show-secrets). */
    outputs: Record<string, unknown>;
    report: Pick<AccessReport, "rows" | "gateways" | "warnings">;
    violations: PolicyViolation[];
    schemaProblems: string[];
    /** Present when the policy pack itself failed to run. */
    policyError?: string;
}

interface Args {
    dir: string;
    out: string;
    json: boolean;
    stack?: string;
    config: Record<string, string>;
    timeoutSeconds: number;
    policyConfig?: string;
    stackReferences: Record<string, string>;
    showSecrets: boolean;
}

class UsageError extends Error {}

/** Pulumi's stack names (pkg/tokens `IsName`-like: letters, digits, `-`, `_`, `.`); the name picks Pulumi.<stack>.yaml. */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** A config key: `key` or `namespace:key`. */
const CONFIG_KEY = /^([A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]+$/;
/** The longest --timeout: a day (a timer's limit is about 24.8 days; nothing offline should take a day). */
const MAX_TIMEOUT_SECONDS = 86400;

function parseArgs(argv: string[]): Args {
    const args: Args = { dir: "", out: "out", json: false, config: {}, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, stackReferences: {}, showSecrets: false };
    const positional: string[] = [];
    let rest = false;
    for (let i = 0; i < argv.length; i++) {
        let a = argv[i];
        if (rest || !a.startsWith("-") || a === "-") {
            positional.push(a);
            continue;
        }
        if (a === "--") {
            rest = true;
            continue;
        }
        let inline: string | undefined;
        const eq = a.startsWith("--") ? a.indexOf("=") : -1;
        if (eq > 0) {
            inline = a.slice(eq + 1);
            a = a.slice(0, eq);
        }
        const value = () => {
            const v = inline ?? argv[++i];
            if (v === undefined || v === "") {
                throw new UsageError(`${a} needs a value`);
            }
            return v;
        };
        const flag = () => {
            if (inline !== undefined) throw new UsageError(`${a} takes no value`);
        };
        switch (a) {
            case "--out":
            case "-o":
                args.out = value();
                break;
            case "--json":
                flag();
                args.json = true;
                break;
            case "--show-secrets":
                flag();
                args.showSecrets = true;
                break;
            case "--stack":
            case "-s": {
                const v = value();
                if (!STACK_NAME.test(v) || v === "." || v === "..") {
                    throw new UsageError(`--stack "${v}": a stack name is letters, digits, '-', '_' and '.' (it names Pulumi.<stack>.yaml)`);
                }
                args.stack = v;
                break;
            }
            case "--config":
            case "-c": {
                const kv = value();
                const k = kv.indexOf("=");
                if (k <= 0) {
                    throw new UsageError(`--config "${kv}": expected key=value`);
                }
                if (!CONFIG_KEY.test(kv.slice(0, k))) {
                    throw new UsageError(`--config "${kv.slice(0, k)}": a config key is key or namespace:key (letters, digits, '-', '_', '.')`);
                }
                args.config[kv.slice(0, k)] = kv.slice(k + 1);
                break;
            }
            case "--timeout": {
                const v = value();
                const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
                if (!(n > 0 && n <= MAX_TIMEOUT_SECONDS)) {
                    throw new UsageError(`--timeout "${v}": expected a number of seconds, more than 0 and at most ${MAX_TIMEOUT_SECONDS}`);
                }
                args.timeoutSeconds = n;
                break;
            }
            case "--policy-config":
                args.policyConfig = value();
                break;
            case "--stack-reference": {
                const kv = value();
                const k = kv.indexOf("=");
                if (k <= 0 || k === kv.length - 1) {
                    throw new UsageError(`--stack-reference "${kv}": expected ORG/PROJECT/STACK=FILE`);
                }
                args.stackReferences[kv.slice(0, k)] = kv.slice(k + 1);
                break;
            }
            default:
                throw new UsageError(`unknown option ${a}`);
        }
    }
    if (positional.length !== 1) {
        throw new UsageError(positional.length === 0 ? "DIR is required" : `expected one DIR, got ${positional.join(" ")}`);
    }
    args.dir = positional[0];
    return args;
}

/** One line: the first line of a message (errors from libraries can carry more). */
function oneLine(s: unknown): string {
    return String(s).split("\n")[0].trim();
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
    const fail = (s: string) => process.stderr.write(`istio-egress render: ${oneLine(s)}\n`);
    let args: Args;
    let policyConfig: Record<string, unknown> | undefined;
    const stackReferences: Record<string, Record<string, unknown>> = {};
    let outDir: string;
    try {
        args = parseArgs(argv);
        if (args.policyConfig) {
            policyConfig = readPolicyConfigFile(args.policyConfig);
        }
        for (const [name, file] of Object.entries(args.stackReferences)) {
            stackReferences[name] = readStackOutputsFile(file);
        }
        outDir = path.resolve(args.out);
        // Before the program runs: a directory render must not write into is refused at once (and again before writing).
        checkOutputDir(outDir);
    } catch (err: unknown) {
        if (err instanceof UsageError) {
            fail(`${err.message} (istio-egress render --help for usage)`);
        } else if (err instanceof ConfigFileError || err instanceof OutputDirError) {
            fail(err.message);
        } else {
            fail(errorMessage(err));
        }
        return 2;
    }
    if (policyConfig) {
        // The pack judges its own settings; asked before the program runs, so that a typo costs no render.
        try {
            const guard = loadGuard();
            guard.reconcileConfig(guard.policies, policyConfig);
        } catch (err: unknown) {
            fail(err instanceof GuardMissingError ? err.message : `--policy-config ${args.policyConfig}: ${errorMessage(err)}`);
            return 2;
        }
    }
    // In --json mode stdout carries only the JSON document.
    const say = (s: string) => (args.json ? process.stderr : process.stdout).write(s);

    let result: RenderResult;
    try {
        result = await renderProgram(args.dir, {
            stack: args.stack,
            config: args.config,
            stackReferences,
            showSecrets: args.showSecrets,
            timeoutSeconds: args.timeoutSeconds,
        });
    } catch (err: unknown) {
        if (err instanceof ProgramError && err.unfinished) {
            const stalled = (err.cause as { reason?: unknown } | null | undefined)?.reason === "stalled";
            fail(
                stalled
                    ? `the program in ${args.dir} never finished: it waits on a promise that nothing is left to settle (a promise never resolved, or an Output waiting on one); nothing was written`
                    : `the program in ${args.dir} did not finish within ${args.timeoutSeconds} s (--timeout); nothing was written`,
            );
        } else if (err instanceof ProgramError) {
            process.stderr.write(`istio-egress render: the program in ${args.dir} failed: ${err.message}\n`);
        } else if (err instanceof ProgramLoadError) {
            fail(err.message);
        } else {
            fail(errorMessage(err));
        }
        return 2;
    }

    const problems = await validateAll(result.objects);
    const report = reportFor(result);
    let violations: PolicyViolation[] = [];
    let policyError: string | undefined;
    try {
        violations = await loadGuard().runPolicies(fromCaptured(result.resources), { config: policyConfig });
    } catch (err: unknown) {
        policyError = oneLine(errorMessage(err));
    }
    let written: WrittenFiles;
    try {
        written = writeRender(outDir, result, report, { violations });
    } catch (err: unknown) {
        fail(
            err instanceof OutputDirError
                ? err.message
                : `cannot write ${outDir}: ${shown((err as { code?: unknown } | null | undefined)?.code ?? "")} ${errorMessage(err)}`.replace(/\s+/, " "),
        );
        return 2;
    }
    const rel = path.relative(process.cwd(), outDir) || ".";

    say(
        `rendered ${result.project.name} (stack ${result.stack}): ${result.objects.length} object(s), ${result.helmReleases.length} Helm release(s) → ${rel}/\n`,
    );
    for (const h of result.helmReleases) {
        say(
            `  Helm release ${h.namespace}/${h.name}: chart ${h.chart}${h.version ? ` ${h.version}` : ""}${h.repository ? ` from ${h.repository}` : ""} (not rendered; values in ${written.helmReleases.find((w) => w.name === h.name && w.namespace === h.namespace)?.file})\n`,
        );
    }
    for (const s of result.skipped) {
        say(`  skipped ${s.urn}: ${s.reason}\n`);
    }
    say(
        `  wrote ${written.all.length} file(s), listed in ${path.join(rel, MANIFEST_FILE)}${written.removed.length > 0 ? `; removed ${written.removed.length} file(s) of the previous render: ${written.removed.join(", ")}` : ""}\n`,
    );
    say("\negress access report (source × external host):\n");
    say(formatReportTable(report));
    say(`(diagram: ${path.join(rel, "report.mmd")})\n\n`);
    if (problems.length > 0) {
        process.stderr.write(`schema validation: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}\n`).join("")}`);
    }
    if (policyError) {
        process.stderr.write(`policy pack: failed to run: ${policyError}\n`);
    } else {
        say(formatViolations(violations));
    }

    if (args.json) {
        const doc: RenderJson = {
            project: result.project.name,
            stack: result.stack,
            outDir,
            objects: written.objects,
            helmReleases: written.helmReleases,
            files: written.all,
            removed: written.removed,
            outputs: result.outputs,
            report: { rows: report.rows, gateways: report.gateways, warnings: report.warnings },
            violations,
            schemaProblems: problems,
            ...(policyError ? { policyError } : {}),
        };
        process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
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
