/**
 * `istio-egress check [--json] [--config FILE.json] FILE|DIR...`
 *
 * Runs the `istio-egress-guard` policy pack's rules over Kubernetes YAML — GitOps repositories, `helm template`
 * output — through the same in-process analyzer the tests use. Exit codes: 0 no mandatory violation, 1 at least one
 * mandatory violation, 2 usage, read, parse or configuration error (naming the file and line).
 */
import * as fs from "fs";
import * as path from "path";
import { LineCounter, parseAllDocuments } from "yaml";
import type { K8sObject } from "../model";
import type { PolicyResource, Violation } from "istio-egress-guard/lib";
import { GuardMissingError, loadGuard } from "./guard";
import { MARKER as RENDER_MARKER } from "../render/render";

const USAGE = `usage: istio-egress check [--json] [--config FILE.json] FILE|DIR ...

Runs the istio-egress-guard policy pack over Kubernetes YAML (multi-document; directories are searched
recursively for *.yaml and *.yml; kind: List is expanded).

  --json           print the violations as a JSON array of {policy, enforcementLevel, resource, message}
  --config FILE    policy configuration, in the format of pulumi's --policy-pack-config file

exit status: 0 no mandatory violation, 1 mandatory violation found, 2 usage or input error
`;

class InputError extends Error {}

interface Options {
    json: boolean;
    config?: string;
    paths: string[];
}

function parseArgs(argv: string[]): Options | "help" {
    const opts: Options = { json: false, paths: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") opts.json = true;
        else if (a === "-h" || a === "--help") return "help";
        else if (a === "--config" || a.startsWith("--config=")) {
            const v = a === "--config" ? argv[++i] : a.slice("--config=".length);
            if (!v) throw new InputError("--config needs a file");
            opts.config = v;
        } else if (a === "--") opts.paths.push(...argv.slice(i + 1)), (i = argv.length);
        else if (a.startsWith("-")) throw new InputError(`unknown option ${a}`);
        else opts.paths.push(a);
    }
    if (opts.paths.length === 0) throw new InputError("no FILE or DIR given");
    return opts;
}

function yamlFiles(p: string): string[] {
    let st: fs.Stats;
    try {
        st = fs.statSync(p);
    } catch {
        throw new InputError(`${p}: no such file or directory`);
    }
    if (st.isFile()) return [p];
    if (!st.isDirectory()) return [];
    const out: string[] = [];
    for (const e of fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const child = path.join(p, e.name);
        if (e.isDirectory()) out.push(...yamlFiles(child));
        else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(child);
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
    values?: Record<string, any>;
}

/** A Helm release file written by `render` → the Release resource the Pulumi program registers. */
export function releaseResource(r: RenderedRelease, file: string): PolicyResource {
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

/** The comment above a document's first line (the `yaml` package attaches it to the document or to the first key). */
function leadingComment(doc: { commentBefore?: string | null; contents?: any }): string {
    return String(doc.commentBefore ?? doc.contents?.commentBefore ?? doc.contents?.items?.[0]?.key?.commentBefore ?? "");
}

/** Reads every Kubernetes object of a YAML file; errors name the file and line. */
export function readManifests(file: string): K8sObject[] {
    return readInputs(file).objects;
}

/**
 * Reads a YAML file: its Kubernetes objects, plus — in a directory written by `istio-egress render` — the Helm
 * releases it describes (judged as the Release resources the program registers; their charts are not rendered).
 * Render's summary is skipped. Any other document without apiVersion/kind is an error.
 */
export function readInputs(file: string): { objects: K8sObject[]; releases: PolicyResource[] } {
    const releases: PolicyResource[] = [];
    const text = fs.readFileSync(file, "utf8");
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter });
    const out: K8sObject[] = [];
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
        if (doc.errors.length > 0) {
            const e = doc.errors[0];
            const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
            throw new InputError(`${file}:${line}: YAML error: ${e.message.split("\n")[0]}`);
        }
        const value = doc.toJS();
        if (value === null || value === undefined) continue;
        const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : 1;
        if (value && typeof value === "object" && value.generatedBy === RENDER_MARKER) {
            continue; // render's summary.yaml
        }
        if (value && typeof value === "object" && typeof value.release === "string" && typeof value.chart === "string" && leadingComment(doc).includes(`written by ${RENDER_MARKER}`)) {
            releases.push(releaseResource(value as RenderedRelease, file));
            continue;
        }
        const check = (o: any, where: string) => {
            if (!o || typeof o !== "object" || Array.isArray(o)) throw new InputError(`${file}:${line}: ${where} is not a Kubernetes object`);
            if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
                throw new InputError(`${file}:${line}: ${where} has no apiVersion/kind`);
            }
            if (o.kind === "List") {
                if (!Array.isArray(o.items)) throw new InputError(`${file}:${line}: ${where} is a List without items`);
                o.items.forEach((item: any, i: number) => check(item, `${where}.items[${i}]`));
                return;
            }
            if (typeof o.metadata?.name !== "string" && typeof o.metadata?.generateName !== "string") {
                throw new InputError(`${file}:${line}: ${where} (${o.kind}) has no metadata.name`);
            }
            out.push(o);
        };
        check(value, "document");
    }
    return { objects: out, releases };
}

function formatText(violations: Violation[], objects: number, files: number): string {
    const lines: string[] = [];
    for (const v of violations) {
        const r = v.resource;
        const id = `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
        lines.push(`${v.enforcementLevel.toUpperCase()}  ${v.policy}  ${id}`);
        lines.push(`    ${v.message}`);
    }
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const summary =
        violations.length === 0
            ? `no violations in ${objects} object(s) from ${files} file(s)`
            : `${violations.length} violation(s) (${mandatory} mandatory, ${violations.length - mandatory} advisory) in ${objects} object(s) from ${files} file(s)`;
    lines.push(summary);
    return lines.join("\n") + "\n";
}

export async function main(argv: string[]): Promise<number> {
    let opts: Options | "help";
    try {
        opts = parseArgs(argv);
    } catch (e: any) {
        process.stderr.write(`istio-egress check: ${e.message}\n${USAGE}`);
        return 2;
    }
    if (opts === "help") {
        process.stdout.write(USAGE);
        return 0;
    }
    try {
        let config: Record<string, any> | undefined;
        if (opts.config) {
            let text: string;
            try {
                text = fs.readFileSync(opts.config, "utf8");
            } catch {
                throw new InputError(`${opts.config}: cannot read the config file`);
            }
            try {
                config = JSON.parse(text);
            } catch (e: any) {
                throw new InputError(`${opts.config}: not valid JSON: ${e.message}`);
            }
            if (!config || typeof config !== "object" || Array.isArray(config)) {
                throw new InputError(`${opts.config}: the config must be a JSON object keyed by policy name`);
            }
        }
        const files = opts.paths.flatMap(yamlFiles);
        if (files.length === 0) {
            // Fail closed: a CI job pointed at the wrong directory must not pass silently.
            throw new InputError(`no *.yaml or *.yml files in ${opts.paths.join(", ")}`);
        }
        const inputs = files.map(readInputs);
        const objects = inputs.flatMap((i) => i.objects);
        const releases = inputs.flatMap((i) => i.releases);
        const { fromManifests, hasMandatory, runPolicies } = loadGuard();
        const violations = await runPolicies([...fromManifests(objects), ...releases], { config });
        if (opts.json) {
            const json = violations.map((v) => ({
                policy: v.policy,
                enforcementLevel: v.enforcementLevel,
                resource: { kind: v.resource.kind, namespace: v.resource.namespace ?? null, name: v.resource.name },
                message: v.message,
            }));
            process.stdout.write(JSON.stringify(json, null, 2) + "\n");
        } else {
            process.stdout.write(formatText(violations, objects.length + releases.length, files.length));
        }
        return hasMandatory(violations) ? 1 : 0;
    } catch (e: any) {
        if (e instanceof InputError || e instanceof GuardMissingError || e?.name === "PolicyConfigError") {
            process.stderr.write(`istio-egress check: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
}
