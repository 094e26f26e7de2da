/**
 * `render`: run a Pulumi program offline under the in-process mock engine, turn what it registers into
 * Kubernetes objects, and write them out with an access report and a diagram.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stringify as toYaml } from "yaml";
import { CapturedResource, runProgram } from "../engine/mock-engine.js";
import { isClusterScopedObject, type K8sObject } from "../model/index.js";
import { AccessReport, buildAccessReport, formatReportTable, reportToMermaid } from "../analysis/report.js";
import { checkSharedPulumi, clearProgramCache, installTsHook, PulumiProject, readProject, stackConfig } from "./loader.js";
import { convertCaptured, HelmReleaseObject } from "./objects.js";

export interface RenderOptions {
    stack?: string;
    /** `key=value` config (bare keys are qualified with the project name); overrides the stack file. */
    config?: Record<string, string>;
    /** Outputs of other stacks for StackReference, by stack name. */
    stackReferences?: Record<string, Record<string, any>>;
    /** Run as `pulumi preview` (default false: as `pulumi up`, so outputs resolve). */
    preview?: boolean;
    /** Write secret values in the clear (default: replaced with REDACTED). */
    showSecrets?: boolean;
}

export interface RenderResult {
    project: PulumiProject;
    stack: string;
    config: Record<string, string>;
    resources: CapturedResource[];
    outputs: Record<string, any>;
    objects: K8sObject[];
    /** URN of each object (index-aligned with `objects`). */
    urns: string[];
    helmReleases: HelmReleaseObject[];
    skipped: { urn: string; reason: string }[];
}

/** Raised when the program itself fails (e.g. a validation `ResourceError`); carries what it registered. */
export class ProgramError extends Error {
    constructor(
        message: string,
        public readonly cause: unknown,
        public readonly capturedResources: CapturedResource[] = [],
    ) {
        super(message);
    }
}

/** The program's error message without the Pulumi runtime's wrapping or a stack trace. */
export function programErrorMessage(err: any): string {
    let msg = String(err?.message ?? err);
    // The Pulumi runtime wraps unhandled errors: "Running program '...' failed with an unhandled exception:\n<stack>".
    msg = msg.replace(/^Running program '[^']*' failed with an unhandled exception:\s*/, "");
    const firstStackLine = msg.search(/\n\s+at /);
    if (firstStackLine >= 0) {
        msg = msg.slice(0, firstStackLine);
    }
    return msg.replace(/^(Error|ResourceError|RunError|InputPropertyError|ArgsError): /, "").trim();
}

/** Serialises renders: the module hooks and the Pulumi runtime are process-wide. */
let renderQueue: Promise<unknown> = Promise.resolve();

/** Runs the program in `dir` and returns the Kubernetes objects it would create. */
export function renderProgram(dir: string, options: RenderOptions = {}): Promise<RenderResult> {
    const run = renderQueue.then(() => renderNow(dir, options));
    renderQueue = run.catch(() => undefined);
    return run;
}

async function renderNow(dir: string, options: RenderOptions): Promise<RenderResult> {
    const project = readProject(dir);
    const stack = options.stack ?? "dev";
    const config = stackConfig(project, stack, options.config ?? {});
    checkSharedPulumi(project.dir);
    const hook = installTsHook();
    clearProgramCache(project.dir);
    // A program's error also rejects promises inside the Pulumi runtime (the stack's outputs) that nobody awaits;
    // Node would crash on them. While the program runs they are collected: they are the same failure when the
    // run fails, and a failure of their own when it succeeds (as under the Pulumi CLI).
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => {
        unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
        let exported: any;
        const run = await runProgram(
            async () => {
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                const mod = require(project.entry);
                // A default-exported function is the program (its result the outputs); otherwise the exports are.
                exported = mod && typeof mod.default === "function" ? await mod.default() : mod;
                return exported;
            },
            { project: project.name, stack, config, preview: options.preview ?? false, stackReferences: options.stackReferences },
        ).catch((err: any) => {
            throw new ProgramError(programErrorMessage(err), err, err?.capturedResources ?? []);
        });
        await new Promise((resolve) => setImmediate(resolve));
        if (unhandled.length > 0) {
            throw new ProgramError(`unhandled promise rejection: ${programErrorMessage(unhandled[0])}`, unhandled[0], run.resources);
        }
        const converted = convertCaptured(run.resources, { showSecrets: options.showSecrets });
        const outputs = toPlainOutputs(run.outputs);
        if (!options.showSecrets) {
            // The engine hands outputs back unwrapped; stack outputs that are secret Outputs are redacted here.
            for (const [k, v] of Object.entries(exported ?? {})) {
                if (k in outputs && pulumi.Output.isInstance(v) && (await pulumi.isSecret(v as pulumi.Output<unknown>))) {
                    outputs[k] = "[secret]";
                }
            }
        }
        return {
            project,
            stack,
            config,
            resources: run.resources,
            outputs,
            objects: converted.objects,
            urns: converted.urns,
            helmReleases: converted.helmReleases,
            skipped: converted.skipped,
        };
    } finally {
        // Let rejections raised by the failing run surface (and be collected) before the listener goes.
        await new Promise((resolve) => setImmediate(resolve));
        process.off("unhandledRejection", onUnhandled);
        hook.restore();
        clearProgramCache(project.dir, hook.compiled);
    }
}

function toPlainOutputs(outputs: Record<string, any>): Record<string, any> {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(outputs ?? {})) {
        if (k === "__esModule" || typeof v === "function") {
            continue;
        }
        out[k] = v;
    }
    return JSON.parse(JSON.stringify(out));
}

function safe(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
}

/** `<kind>-<namespace>-<name>.yaml` (lowercase); cluster-scoped kinds: `<kind>-<name>.yaml`. */
export function objectFileName(obj: K8sObject): string {
    const kind = safe(obj.kind);
    const name = safe(obj.metadata?.name ?? "unnamed");
    if (isClusterScopedObject(String(obj.apiVersion ?? ""), obj.kind)) {
        return `${kind}-${name}.yaml`;
    }
    return `${kind}-${safe(obj.metadata?.namespace ?? "default")}-${name}.yaml`;
}

export interface WrittenFiles {
    objects: { kind: string; namespace?: string; name: string; file: string }[];
    helmReleases: { namespace: string; name: string; file: string }[];
    summary: string[];
    report: string[];
}

/** Marks the files `render` writes (summary, Helm release files), so that `check` can read a render directory. */
export const MARKER = "istio-egress render";

/** Removes what a previous render wrote into `outDir` (only if it was a render output directory). */
function cleanPrevious(outDir: string): void {
    const summary = path.join(outDir, "summary.json");
    if (!fs.existsSync(summary)) {
        return;
    }
    try {
        if (JSON.parse(fs.readFileSync(summary, "utf8")).generatedBy !== MARKER) {
            return;
        }
    } catch {
        return;
    }
    for (const f of fs.readdirSync(outDir)) {
        if (/\.(yaml|json|mmd|txt)$/.test(f)) {
            fs.rmSync(path.join(outDir, f));
        }
    }
}

function helmReleaseFile(h: HelmReleaseObject): string {
    const header = [
        `# Helm release ${h.namespace}/${h.name}, as the stack would install it (written by ${MARKER}).`,
        "# Under the mock engine a Helm release is one resource (kubernetes:helm.sh/v3:Release): its chart is NOT",
        "# rendered here, so the objects the chart creates (gateway Deployment, Service, ...) are not in this directory.",
        "# What Helm would be asked to install:",
    ].join("\n");
    const body = {
        release: h.name,
        namespace: h.namespace,
        chart: h.chart,
        repository: h.repository ?? null,
        version: h.version ?? null,
        ...(Object.keys(h.options).length > 0 ? { options: h.options } : {}),
        values: h.values,
    };
    return `${header}\n${toYaml(body)}`;
}

/** Writes objects, Helm releases, summary, report and diagram into `outDir`. */
export function writeRender(outDir: string, result: RenderResult, report: AccessReport, extra: { violations?: unknown[] } = {}): WrittenFiles {
    fs.mkdirSync(outDir, { recursive: true });
    cleanPrevious(outDir);
    const used = new Set<string>();
    const unique = (file: string) => {
        let f = file;
        for (let i = 2; used.has(f); i++) {
            f = file.replace(/\.yaml$/, `-${i}.yaml`);
        }
        used.add(f);
        return f;
    };
    const written: WrittenFiles = { objects: [], helmReleases: [], summary: [], report: [] };
    for (const obj of result.objects) {
        const file = unique(objectFileName(obj));
        fs.writeFileSync(path.join(outDir, file), toYaml(obj));
        written.objects.push({ kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata.name, file });
    }
    for (const h of result.helmReleases) {
        const file = unique(`helmrelease-${safe(h.namespace)}-${safe(h.name)}.yaml`);
        fs.writeFileSync(path.join(outDir, file), helmReleaseFile(h));
        written.helmReleases.push({ namespace: h.namespace, name: h.name, file });
    }
    const counts: Record<string, number> = {};
    for (const o of result.objects) {
        counts[o.kind] = (counts[o.kind] ?? 0) + 1;
    }
    if (result.helmReleases.length > 0) {
        counts.HelmRelease = result.helmReleases.length;
    }
    const summary = {
        generatedBy: MARKER,
        project: result.project.name,
        stack: result.stack,
        total: result.objects.length + result.helmReleases.length,
        counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))),
        outputs: result.outputs,
        helmReleases: result.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, repository: h.repository ?? null, version: h.version ?? null })),
        skipped: result.skipped,
        files: [...written.objects.map((o) => o.file), ...written.helmReleases.map((h) => h.file)],
    };
    fs.writeFileSync(path.join(outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
    fs.writeFileSync(path.join(outDir, "summary.yaml"), toYaml(summary));
    written.summary.push("summary.json", "summary.yaml");
    fs.writeFileSync(path.join(outDir, "report.txt"), formatReportTable(report));
    fs.writeFileSync(path.join(outDir, "report.json"), JSON.stringify({ ...report, ...(extra.violations ? { violations: extra.violations } : {}) }, null, 2) + "\n");
    fs.writeFileSync(path.join(outDir, "report.mmd"), reportToMermaid(report));
    written.report.push("report.txt", "report.json", "report.mmd");
    return written;
}

/** The access report for a render result (Helm values feed the gateway's Service → container port mapping). */
export function reportFor(result: RenderResult): AccessReport {
    return buildAccessReport(result.objects, {
        helmReleases: result.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, values: h.values })),
    });
}
