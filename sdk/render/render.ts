/**
 * `render`: run a Pulumi program offline under the in-process mock engine, turn what it registers into
 * Kubernetes objects, and write them out with an access report and a diagram.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stringify as toYaml } from "yaml";
import { CapturedResource, ProgramTimeoutError, runProgram } from "../engine/mock-engine.js";
import { errorCode, errorMessage, isClusterScopedObject, isRecord, type K8sObject } from "../model/index.js";
import { AccessReport, buildAccessReport, formatReportTable, reportToMermaid } from "../analysis/report.js";
import { checkSharedPulumi, clearProgramCache, installTsHook, PulumiProject, readProject, stackConfig } from "./loader.js";
import { convertCaptured, HelmReleaseObject } from "./objects.js";

export interface RenderOptions {
    stack?: string;
    /** `key=value` config (bare keys are qualified with the project name); overrides the stack file. */
    config?: Record<string, string>;
    /** Outputs of other stacks for StackReference, by stack name. */
    stackReferences?: Record<string, Record<string, unknown>>;
    /** Run as `pulumi preview` (default false: as `pulumi up`, so outputs resolve). */
    preview?: boolean;
    /** Write secret values in the clear (default: replaced with REDACTED). */
    showSecrets?: boolean;
    /** Give up on a program that has not finished after this many seconds (default: no limit but a stall). */
    timeoutSeconds?: number;
}

/** How long `istio-egress render` waits for a program unless `--timeout` says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 120;

export interface RenderResult {
    project: PulumiProject;
    stack: string;
    config: Record<string, string>;
    resources: CapturedResource[];
    outputs: Record<string, unknown>;
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
    /** The program did not finish (timed out, or waits on something nothing can settle). */
    get unfinished(): boolean {
        return this.cause instanceof ProgramTimeoutError;
    }
}

/** The program's error message without the Pulumi runtime's wrapping or a stack trace. */
export function programErrorMessage(err: unknown): string {
    let msg = errorMessage(err);
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
        let exported: unknown;
        const run = await runProgram(
            async () => {
                // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's program, loaded by path at run time through the CommonJS loader (and its TypeScript hook)
                const mod: unknown = require(project.entry);
                // A default-exported function is the program (its result the outputs); otherwise the exports are.
                const main = fieldsOf(mod).default;
                exported = typeof main === "function" ? await (main as () => unknown)() : mod;
                return exported;
            },
            {
                project: project.name,
                stack,
                config,
                preview: options.preview ?? false,
                stackReferences: options.stackReferences,
                timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
            },
        ).catch((err: unknown) => {
            throw new ProgramError(
                programErrorMessage(err),
                err,
                (err as { capturedResources?: CapturedResource[] } | null | undefined)?.capturedResources ?? [],
            );
        });
        await new Promise((resolve) => setImmediate(resolve));
        if (unhandled.length > 0) {
            throw new ProgramError(`unhandled promise rejection: ${programErrorMessage(unhandled[0])}`, unhandled[0], run.resources);
        }
        const converted = convertCaptured(run.resources, { showSecrets: options.showSecrets });
        const outputs = toPlainOutputs(run.outputs);
        if (!options.showSecrets) {
            // The engine hands outputs back unwrapped; stack outputs that are secret Outputs are redacted here.
            for (const [k, v] of Object.entries(fieldsOf(exported))) {
                if (k in outputs && pulumi.Output.isInstance(v) && (await pulumi.isSecret(v))) {
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

/** A module's exports (an object, or a function carrying fields, as `module.exports = fn` makes it) as fields; else none. */
function fieldsOf(v: unknown): Record<string, unknown> {
    return v !== null && (typeof v === "object" || typeof v === "function") ? (v as Record<string, unknown>) : {};
}

function toPlainOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(outputs ?? {})) {
        if (k === "__esModule" || typeof v === "function") {
            continue;
        }
        out[k] = v;
    }
    return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

function safe(s: string): string {
    return s.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
}

/** The longest file name written (file systems allow 255 bytes; Kubernetes names alone may have 253). */
const FILE_NAME_LIMIT = 200;

/**
 * `<kind>-<namespace>-<name>.yaml` (lowercase); cluster-scoped kinds: `<kind>-<name>.yaml`. A name longer than
 * 200 characters is cut and ends in `--` and 12 hex digits of the SHA-256 of the uncut name.
 */
export function objectFileName(obj: K8sObject): string {
    const kind = safe(obj.kind);
    const name = safe(obj.metadata?.name ?? "unnamed");
    const base = isClusterScopedObject(String(obj.apiVersion ?? ""), obj.kind)
        ? `${kind}-${name}`
        : `${kind}-${safe(obj.metadata?.namespace ?? "default")}-${name}`;
    if (base.length + ".yaml".length <= FILE_NAME_LIMIT) return `${base}.yaml`;
    return `${base.slice(0, FILE_NAME_LIMIT - ".yaml".length - 14)}--${sha256(base).slice(0, 12)}.yaml`;
}

export interface WrittenFiles {
    objects: { kind: string; namespace?: string; name: string; file: string }[];
    helmReleases: { namespace: string; name: string; file: string }[];
    summary: string[];
    report: string[];
    /** Every file written, in order, the manifest last (it lists all the others). */
    all: string[];
    /** Files of the previous render that this one removed (and did not write again). */
    removed: string[];
}

/** Marks the files `render` writes (summary, Helm release files), so that `check` can read a render directory. */
export const MARKER = "istio-egress render";

/**
 * The manifest of a render output directory: every file render wrote there, with its SHA-256. Render removes
 * only files listed in it whose content is still what it wrote, and refuses a directory holding anything else.
 */
export const MANIFEST_FILE = "render-manifest.json";
const MANIFEST_VERSION = 1;

/** The output directory cannot be used; the message says why and names the files. */
export class OutputDirError extends Error {}

interface Manifest {
    generatedBy: typeof MARKER;
    version: typeof MANIFEST_VERSION;
    files: { file: string; sha256: string }[];
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** A name render may have written: one plain file name (no directory part, no leading dot). */
function isOwnFileName(f: unknown): f is string {
    return typeof f === "string" && f.length > 0 && f.length <= 255 && !f.startsWith(".") && !/[\\/\0]/.test(f);
}

function readManifest(outDir: string): Manifest | undefined {
    const file = path.join(outDir, MANIFEST_FILE);
    let m: unknown;
    try {
        m = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    } catch {
        return undefined;
    }
    const ok =
        isRecord(m) &&
        m.generatedBy === MARKER &&
        m.version === MANIFEST_VERSION &&
        Array.isArray(m.files) &&
        (m.files as unknown[]).every(
            (e) => isRecord(e) && isOwnFileName(e.file) && e.file !== MANIFEST_FILE && typeof e.sha256 === "string" && /^[0-9a-f]{64}$/.test(e.sha256),
        );
    return ok ? (m as Manifest) : undefined;
}

function listing(names: string[]): string {
    const shown = names.slice(0, 5).join(", ");
    return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/**
 * Checks that render may write into `outDir`: it does not exist, is an empty directory, or holds exactly what an
 * earlier render wrote there (listed in its manifest, content unchanged). Returns the earlier render's files,
 * which a new render replaces. Throws `OutputDirError` otherwise — nothing is removed then — so that `--out` can
 * never point render at a directory whose files it would delete (a project directory, a home directory).
 */
export function checkOutputDir(outDir: string): string[] {
    let st: fs.Stats;
    try {
        st = fs.statSync(outDir);
    } catch (err: unknown) {
        if (errorCode(err) === "ENOENT") return [];
        throw new OutputDirError(`${outDir}: cannot be used as the output directory (${errorCode(err) ?? errorMessage(err)})`);
    }
    if (!st.isDirectory()) throw new OutputDirError(`${outDir}: is not a directory`);
    const entries = fs.readdirSync(outDir).sort();
    if (entries.length === 0) return [];
    const manifest = readManifest(outDir);
    if (!manifest) {
        throw new OutputDirError(
            `${outDir}: holds files render did not write (${listing(entries)}); render writes only into a new or empty directory, or one it wrote before (with its ${MANIFEST_FILE}) — choose another --out`,
        );
    }
    const listed = new Map(manifest.files.map((e) => [e.file, e.sha256]));
    const foreign: string[] = [];
    const changed: string[] = [];
    for (const f of entries) {
        if (f === MANIFEST_FILE) continue;
        const hash = listed.get(f);
        const lst = fs.lstatSync(path.join(outDir, f));
        if (hash === undefined || !lst.isFile()) {
            foreign.push(f);
        } else if (sha256(fs.readFileSync(path.join(outDir, f))) !== hash) {
            changed.push(f);
        }
    }
    if (foreign.length > 0 || changed.length > 0) {
        const parts = [
            ...(foreign.length > 0 ? [`holds files render did not write (${listing(foreign)})`] : []),
            ...(changed.length > 0 ? [`has files changed since render wrote them (${listing(changed)})`] : []),
        ];
        throw new OutputDirError(`${outDir}: ${parts.join(" and ")}; render removes only its own unchanged files — move them away or choose another --out`);
    }
    return [...entries.filter((f) => f !== MANIFEST_FILE), MANIFEST_FILE];
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

/**
 * Writes objects, Helm releases, summary, report and diagram into `outDir`, and the manifest of what it wrote.
 * The directory is checked first (`checkOutputDir`); the previous render's files are removed, then the manifest is
 * written before the files it lists (so that an interrupted render leaves a directory the next one can judge).
 */
export function writeRender(outDir: string, result: RenderResult, report: AccessReport, extra: { violations?: unknown[] } = {}): WrittenFiles {
    const previous = checkOutputDir(outDir);
    const contents = new Map<string, string>();
    const add = (file: string, text: string) => {
        let f = file;
        for (let i = 2; contents.has(f) || f === MANIFEST_FILE; i++) {
            f = file.replace(/(\.[a-z]+)$/, `-${i}$1`);
        }
        contents.set(f, text);
        return f;
    };
    const written: WrittenFiles = { objects: [], helmReleases: [], summary: [], report: [], all: [], removed: [] };
    for (const obj of result.objects) {
        const file = add(objectFileName(obj), toYaml(obj));
        written.objects.push({ kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata.name, file });
    }
    for (const h of result.helmReleases) {
        const file = add(`helmrelease-${safe(h.namespace)}-${safe(h.name)}.yaml`, helmReleaseFile(h));
        written.helmReleases.push({ namespace: h.namespace, name: h.name, file });
    }
    const counts: Record<string, number> = {};
    for (const o of result.objects) {
        counts[o.kind] = (counts[o.kind] ?? 0) + 1;
    }
    if (result.helmReleases.length > 0) {
        counts.HelmRelease = result.helmReleases.length;
    }
    const reportFiles = ["report.txt", "report.json", "report.mmd"];
    const summaryFiles = ["summary.json", "summary.yaml"];
    for (const f of [...reportFiles, ...summaryFiles]) {
        if (contents.has(f)) throw new Error(`internal: an object's file name ${f} is one render reserves`);
    }
    const files = [...contents.keys(), ...reportFiles, ...summaryFiles, MANIFEST_FILE];
    const summary = {
        generatedBy: MARKER,
        project: result.project.name,
        stack: result.stack,
        total: result.objects.length + result.helmReleases.length,
        counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))),
        outputs: result.outputs,
        helmReleases: result.helmReleases.map((h) => ({
            name: h.name,
            namespace: h.namespace,
            chart: h.chart,
            repository: h.repository ?? null,
            version: h.version ?? null,
        })),
        skipped: result.skipped,
        files,
    };
    contents.set("report.txt", formatReportTable(report));
    contents.set("report.json", JSON.stringify({ ...report, ...(extra.violations ? { violations: extra.violations } : {}) }, null, 2) + "\n");
    contents.set("report.mmd", reportToMermaid(report));
    contents.set("summary.json", JSON.stringify(summary, null, 2) + "\n");
    contents.set("summary.yaml", toYaml(summary));
    written.report.push(...reportFiles);
    written.summary.push(...summaryFiles);

    const manifest: Manifest = {
        generatedBy: MARKER,
        version: MANIFEST_VERSION,
        files: [...contents].map(([file, text]) => ({ file, sha256: sha256(Buffer.from(text, "utf8")) })),
    };
    fs.mkdirSync(outDir, { recursive: true });
    for (const f of previous) {
        fs.rmSync(path.join(outDir, f), { force: true });
        if (!contents.has(f) && f !== MANIFEST_FILE) written.removed.push(f);
    }
    // "wx": create, never overwrite — whatever appeared since the check (a symlink planted there) is not written through.
    fs.writeFileSync(path.join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n", { flag: "wx" });
    for (const [file, text] of contents) {
        fs.writeFileSync(path.join(outDir, file), text, { flag: "wx" });
    }
    written.all = files;
    return written;
}

/** The access report for a render result (Helm values feed the gateway's Service → container port mapping). */
export function reportFor(result: RenderResult): AccessReport {
    return buildAccessReport(result.objects, {
        helmReleases: result.helmReleases.map((h) => ({ name: h.name, namespace: h.namespace, chart: h.chart, values: h.values })),
    });
}
