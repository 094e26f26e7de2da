/**
 * `istio-egress check [--format text|json|sarif] [--policy-config FILE] [--namespace NS] FILE|DIR|- ...`
 *
 * Runs the `istio-egress-guard` policy pack's rules over Kubernetes YAML — GitOps repositories, `helm template`
 * output, a published project's manifests — through the same in-process analyzer the tests use, as a CI step.
 * Exit codes: 0 no mandatory violation, 1 at least one mandatory violation, 2 usage, read, parse or configuration
 * error (naming the file and line), or an input with no Kubernetes object at all (`helm template ... | check -` must
 * not pass when Helm printed nothing).
 */
import * as fs from "fs";
import * as path from "path";
import type * as Sarif from "sarif";
import type { K8sObject } from "../model";
import { errorCode, errorMessage, isClusterScopedObject, isRecord, shown as showValue, valueAt } from "../model";
import type { PolicyResource, Violation } from "istio-egress-guard/lib";
import { GuardMissingError, loadGuard } from "./guard";
import { ConfigFileError, readPolicyConfigFile } from "./config-file";
import { MARKER as RENDER_MARKER } from "../render/render";
import { parseKubernetesYaml } from "./yaml";

const USAGE = `usage: istio-egress check [--format text|json|sarif] [--policy-config FILE] [--namespace NS] FILE|DIR|- ...

Runs the istio-egress-guard policy pack over Kubernetes YAML: multi-document files, directories (searched
recursively for *.yaml and *.yml, following symlinks), or - for standard input. Lists (List, ConfigMapList, ...)
are expanded; documents that are not Kubernetes objects (Chart.yaml, values.yaml, kustomization.yaml, Helm
templates) are skipped with a notice on stderr. YAML is read as the Kubernetes API server reads it (YAML 1.1).

  --format F            text (default), json (an array of findings) or sarif (SARIF 2.1.0, for code scanning)
  --json                same as --format json
  --policy-config FILE  policy configuration (JSON or YAML), as for pulumi --policy-pack-config; top-level
                        exemptNamespaces and exemptObjects ("Kind/namespace/name") apply to every policy
  --config FILE         same as --policy-config
  -n, --namespace NS    namespace for namespaced objects without metadata.namespace (as kubectl -n)

exit status: 0 no mandatory violation, 1 mandatory violation found, 2 usage or input error, or no Kubernetes object
`;

class InputError extends Error {}

type Format = "text" | "json" | "sarif";

interface Options {
    format: Format;
    config?: string;
    namespace?: string;
    paths: string[];
}

function parseArgs(argv: string[]): Options | "help" {
    const opts: Options = { format: "text", paths: [] };
    const value = (i: number, a: string, name: string): [string, number] => {
        if (a.includes("=")) return [a.slice(a.indexOf("=") + 1), i];
        const v = argv[i + 1];
        if (v === undefined || v === "") throw new InputError(`${name} needs a value`);
        return [v, i + 1];
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const name = a.split("=")[0];
        if (a === "--json") opts.format = "json";
        else if (a === "-h" || a === "--help") return "help";
        else if (name === "--format") {
            const [v, j] = value(i, a, "--format");
            if (v !== "text" && v !== "json" && v !== "sarif") throw new InputError(`--format must be text, json or sarif; got ${JSON.stringify(v)}`);
            opts.format = v;
            i = j;
        } else if (name === "--config" || name === "--policy-config") {
            const [v, j] = value(i, a, name);
            opts.config = v;
            i = j;
        } else if (name === "--namespace" || a === "-n") {
            const [v, j] = value(i, a, name);
            if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > 63)
                throw new InputError(`--namespace ${JSON.stringify(v)} is not a valid namespace name`);
            opts.namespace = v;
            i = j;
        } else if (a === "--") {
            opts.paths.push(...argv.slice(i + 1));
            break;
        } else if (a === "-") opts.paths.push(a);
        else if (a.startsWith("-")) throw new InputError(`unknown option ${a}`);
        else opts.paths.push(a);
    }
    if (opts.paths.length === 0) throw new InputError("no FILE, DIR or - given");
    return opts;
}

/** YAML files under a path: the file itself, or a directory's *.yaml/*.yml, recursively, following symlinks once. */
function yamlFiles(p: string, seen = new Set<string>()): string[] {
    let st: fs.Stats;
    try {
        st = fs.statSync(p); // follows symlinks
    } catch {
        throw new InputError(`${p}: no such file or directory (or a broken symlink)`);
    }
    if (st.isFile()) return [p];
    if (!st.isDirectory()) return [];
    const real = fs.realpathSync(p);
    if (seen.has(real)) return []; // a symlink loop, or a directory reached twice
    seen.add(real);
    const out: string[] = [];
    for (const e of fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const child = path.join(p, e.name);
        let isDir = e.isDirectory();
        let isFile = e.isFile();
        if (e.isSymbolicLink()) {
            try {
                const s = fs.statSync(child);
                isDir = s.isDirectory();
                isFile = s.isFile();
            } catch {
                continue; // a broken symlink inside a tree is not an input
            }
        }
        if (isDir) out.push(...yamlFiles(child, seen));
        else if (isFile && /\.ya?ml$/i.test(e.name)) out.push(child);
    }
    return out;
}

/** What `render` writes that is not a Kubernetes object: its summary, and its Helm release files. */
export interface RenderedRelease {
    release: string;
    namespace: string;
    chart: string;
    repository?: string | null;
    version?: string | null;
    values?: Record<string, unknown>;
}

/** A Helm release file written by `render` → the Release resource the Pulumi program registers. */
export function releaseResource(r: RenderedRelease, file: string): PolicyResource {
    void file;
    return {
        type: "kubernetes:helm.sh/v3:Release",
        name: r.release,
        urn: `urn:pulumi:check::istio-egress::kubernetes:helm.sh/v3:Release::${r.namespace}/${r.release}`,
        props: {
            name: r.release,
            namespace: r.namespace,
            chart: r.chart,
            ...(r.version ? { version: r.version } : {}),
            ...(r.repository ? { repositoryOpts: { repo: r.repository } } : {}),
            values: r.values ?? {},
        },
    };
}

/** Where an object was read from. */
export interface SourceLocation {
    file: string;
    line: number;
}

export interface Inputs {
    objects: K8sObject[];
    /** `locations[i]` is where `objects[i]` was read. */
    locations: SourceLocation[];
    releases: PolicyResource[];
    releaseLocations: SourceLocation[];
    /** Documents skipped because they are not Kubernetes objects: `file:line: why`. */
    notices: string[];
}

/** Reads every Kubernetes object of a YAML file; errors name the file and line. */
export function readManifests(file: string): K8sObject[] {
    return readInputs(file).objects;
}

/**
 * A file under a Helm chart's `templates/` directory (`<chart>/Chart.yaml` exists): Go templates that Helm renders,
 * not manifests. Only that place counts: template syntax elsewhere is judged as YAML (a `{{` in an annotation must
 * not make a manifest skippable).
 */
function helmTemplate(file: string): boolean {
    let dir = path.dirname(path.resolve(file));
    for (let i = 0; i < 32; i++) {
        if (path.basename(dir) === "templates" && fs.existsSync(path.join(path.dirname(dir), "Chart.yaml"))) return true;
        const up = path.dirname(dir);
        if (up === dir) return false;
        dir = up;
    }
    return false;
}

/** Kustomize's own configuration files: not objects the cluster receives. */
const KUSTOMIZE = /^kustomize\.config\.k8s\.io\//;

/**
 * Reads a YAML file (or standard input for `-`): its Kubernetes objects, plus — in a directory written by
 * `istio-egress render` — the Helm releases it describes (judged as the Release resources the program registers).
 * Documents that are not Kubernetes objects are skipped with a notice; a typed list's items are expanded (items
 * without apiVersion/kind take the list's).
 */
export function readInputs(file: string, text?: string, namespace?: string): Inputs {
    const shown = file === "-" ? "<stdin>" : file;
    const res: Inputs = { objects: [], locations: [], releases: [], releaseLocations: [], notices: [] };
    if (text === undefined) {
        try {
            text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
        } catch (e: unknown) {
            throw new InputError(`${shown}: cannot read (${errorCode(e) ?? errorMessage(e)})`);
        }
    }
    if (file !== "-" && helmTemplate(file)) {
        res.notices.push(
            `${shown}:1: skipped: a Helm chart's template (the chart's Chart.yaml is next to templates/), not a manifest: run helm template and check its output`,
        );
        return res;
    }
    let docs;
    try {
        docs = parseKubernetesYaml(text);
    } catch (e: unknown) {
        throw new InputError(`${shown}:${showValue(valueAt(e, "line") ?? 1)}: YAML error: ${errorMessage(e)}`);
    }
    // `o` is untrusted (read from a file): it goes to the pack, whose rules read every field defensively.
    const withNamespace = (o: Record<string, unknown>, apiVersion: string, kind: string): K8sObject => {
        const obj = o as unknown as K8sObject;
        if (namespace === undefined || isClusterScopedObject(apiVersion, kind)) return obj;
        const meta = o.metadata && typeof o.metadata === "object" ? (o.metadata as Record<string, unknown>) : {};
        if (typeof meta.namespace === "string" && meta.namespace !== "") return obj;
        return { ...obj, metadata: { ...meta, namespace } as K8sObject["metadata"] };
    };
    for (const doc of docs) {
        const value = doc.value;
        const at = `${shown}:${doc.line}`;
        if (isRecord(value) && value.generatedBy === RENDER_MARKER) continue; // render's summary.yaml
        if (isRecord(value) && typeof value.release === "string" && typeof value.chart === "string" && doc.comment.includes(`written by ${RENDER_MARKER}`)) {
            res.releases.push(releaseResource(value as unknown as RenderedRelease, file));
            res.releaseLocations.push({ file: shown, line: doc.line });
            continue;
        }
        const add = (item: unknown, where: string, listApiVersion?: string, listKind?: string) => {
            if (!isRecord(item)) {
                res.notices.push(`${at}: skipped ${where}: not a Kubernetes object (${Array.isArray(item) ? "a list" : typeof item})`);
                return;
            }
            const o: Record<string, unknown> = listApiVersion !== undefined ? { apiVersion: listApiVersion, kind: listKind, ...item } : item;
            const apiVersion = o.apiVersion;
            const kind = o.kind;
            if (typeof apiVersion !== "string" || typeof kind !== "string" || apiVersion === "" || kind === "") {
                res.notices.push(`${at}: skipped ${where}: no apiVersion/kind, not a Kubernetes object (e.g. Chart.yaml, values.yaml)`);
                return;
            }
            if (KUSTOMIZE.test(apiVersion)) {
                res.notices.push(`${at}: skipped ${where}: a Kustomize ${kind}, not an object the cluster receives: run kustomize build and check its output`);
                return;
            }
            if (kind.endsWith("List") && Array.isArray(o.items)) {
                const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
                (o.items as unknown[]).forEach((x, i) => add(x, `${where}.items[${i}]`, itemKind ? apiVersion : undefined, itemKind));
                return;
            }
            if (kind === "List") throw new InputError(`${at}: ${where} is a List without items`);
            const meta = o.metadata as { name?: unknown; generateName?: unknown } | null | undefined;
            if (typeof meta?.name !== "string" && typeof meta?.generateName !== "string") {
                // The API server would reject it, but istioctl reads such files (an IstioOperator): judge it anyway.
                res.notices.push(`${at}: ${where} (${kind}) has no metadata.name; judged as "${kind.toLowerCase()}"`);
            }
            res.objects.push(withNamespace(o, apiVersion, kind));
            res.locations.push({ file: shown, line: doc.line });
        };
        add(value, "document");
    }
    return res;
}

interface Finding {
    v: Violation;
    location?: SourceLocation;
}

function resourceId(v: Violation): string {
    const r = v.resource;
    return `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
}

function formatText(findings: Finding[], objects: number, files: number, skipped: number): string {
    const lines: string[] = [];
    for (const { v, location } of findings) {
        lines.push(`${v.enforcementLevel.toUpperCase()}  ${v.policy}  ${resourceId(v)}${location ? `  (${location.file}:${location.line})` : ""}`);
        lines.push(`    ${v.message}`);
    }
    const mandatory = findings.filter((f) => f.v.enforcementLevel === "mandatory").length;
    const where = `in ${objects} object(s) from ${files} file(s)${skipped > 0 ? ` (${skipped} document(s) skipped)` : ""}`;
    lines.push(
        findings.length === 0
            ? `no violations ${where}`
            : `${findings.length} violation(s) (${mandatory} mandatory, ${findings.length - mandatory} advisory) ${where}`,
    );
    return lines.join("\n") + "\n";
}

function formatJson(findings: Finding[]): string {
    const json = findings.map(({ v, location }) => ({
        policy: v.policy,
        enforcementLevel: v.enforcementLevel,
        resource: { kind: v.resource.kind, namespace: v.resource.namespace ?? null, name: v.resource.name },
        message: v.message,
        location: location ?? null,
    }));
    return JSON.stringify(json, null, 2) + "\n";
}

/** SARIF 2.1.0: one run, the pack's policies as rules, each finding a result at its file and line. */
export function toSarif(findings: Finding[], policies: { name: string; description: string; remediationSteps?: string }[], version: string): Sarif.Log {
    const results: Sarif.Result[] = findings.map(({ v, location }) => ({
        ruleId: v.policy,
        ruleIndex: policies.findIndex((p) => p.name === v.policy),
        level: v.enforcementLevel === "mandatory" ? "error" : "warning",
        message: { text: `${resourceId(v)}: ${v.message}` },
        locations: [
            {
                ...(location
                    ? {
                          physicalLocation: {
                              artifactLocation: { uri: location.file === "<stdin>" ? "stdin" : location.file.split(path.sep).join("/") },
                              region: { startLine: location.line },
                          },
                      }
                    : {}),
                logicalLocations: [
                    { fullyQualifiedName: `${v.resource.kind}/${v.resource.namespace ? `${v.resource.namespace}/` : ""}${v.resource.name}`, kind: "resource" },
                ],
            },
        ],
    }));
    return {
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [
            {
                tool: {
                    driver: {
                        name: "istio-egress-guard",
                        version,
                        rules: policies.map((p) => ({
                            id: p.name,
                            shortDescription: { text: p.description },
                            ...(p.remediationSteps ? { help: { text: p.remediationSteps } } : {}),
                            defaultConfiguration: { level: "error" as const },
                        })),
                    },
                },
                results,
            },
        ],
    };
}

function packVersion(): string {
    try {
        const pkg = JSON.parse(fs.readFileSync(require.resolve("istio-egress-guard/package.json"), "utf8")) as { version?: string };
        return pkg.version ?? "0.0.0";
    } catch {
        return "0.0.0";
    }
}

export async function main(argv: string[]): Promise<number> {
    let opts: Options | "help";
    try {
        opts = parseArgs(argv);
    } catch (e: unknown) {
        process.stderr.write(`istio-egress check: ${(e as { message?: string }).message}\n${USAGE}`);
        return 2;
    }
    if (opts === "help") {
        process.stdout.write(USAGE);
        return 0;
    }
    try {
        const guard = loadGuard();
        const config = opts.config ? readPolicyConfigFile(opts.config) : undefined;
        const files: string[] = [];
        for (const p of opts.paths) {
            if (p === "-") {
                if (files.includes("-")) throw new InputError("- (standard input) given twice");
                files.push("-");
            } else files.push(...yamlFiles(p));
        }
        if (files.length === 0) {
            // Fail closed: a CI job pointed at the wrong directory must not pass silently.
            throw new InputError(`no *.yaml or *.yml files in ${opts.paths.join(", ")}`);
        }
        const inputs = files.map((f) => readInputs(f, undefined, opts.namespace));
        const objects = inputs.flatMap((i) => i.objects);
        const locations = inputs.flatMap((i) => i.locations);
        const releases = inputs.flatMap((i) => i.releases);
        const releaseLocations = inputs.flatMap((i) => i.releaseLocations);
        const notices = inputs.flatMap((i) => i.notices);
        for (const n of notices) process.stderr.write(`istio-egress check: ${n}\n`);
        if (objects.length + releases.length === 0) {
            throw new InputError(
                `no Kubernetes objects in ${opts.paths.map((p) => (p === "-" ? "<stdin>" : p)).join(", ")}${notices.length ? ` (${notices.length} document(s) skipped)` : ""}: nothing to check`,
            );
        }
        const resources = guard.fromManifests(objects);
        const byUrn = new Map<string, SourceLocation>();
        resources.forEach((r, i) => byUrn.set(r.urn, locations[i]));
        releases.forEach((r, i) => byUrn.set(r.urn, releaseLocations[i]));
        const violations = await guard.runPolicies([...resources, ...releases], { config });
        const findings: Finding[] = violations.map((v) => ({ v, location: byUrn.get(v.resource.urn) }));
        if (opts.format === "json") process.stdout.write(formatJson(findings));
        else if (opts.format === "sarif") process.stdout.write(JSON.stringify(toSarif(findings, guard.policies, packVersion()), null, 2) + "\n");
        else process.stdout.write(formatText(findings, objects.length + releases.length, files.length, notices.length));
        return guard.hasMandatory(violations) ? 1 : 0;
    } catch (e: unknown) {
        if (
            e instanceof InputError ||
            e instanceof GuardMissingError ||
            e instanceof ConfigFileError ||
            (e as { name?: unknown } | null | undefined)?.name === "PolicyConfigError"
        ) {
            process.stderr.write(`istio-egress check: ${(e as { message?: string }).message}\n`);
            return 2;
        }
        throw e;
    }
}
