/**
 * The e2e suites' shared helpers (issue 12): the tools' environment, running a command, rendering an example with
 * the real `istio-egress render` CLI, and the gateway chart's own objects from `helm template`. Suites import
 * from here; one copy of each helper.
 */
import * as child from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { isRecord, listAt, recordAt, stringAt, valueAt } from "../../sdk/model/read";

/** The repository's root: the directory with the `istio-egress` package.json above this file (source or dist). */
export const REPO = (() => {
    for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) {
        const pj = path.join(d, "package.json");
        if (fs.existsSync(pj) && stringAt(JSON.parse(fs.readFileSync(pj, "utf8")) as unknown, "name") === "istio-egress") return d;
    }
    throw new Error(`no istio-egress package.json above ${__dirname}`);
})();

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

let cachedEnv: NodeJS.ProcessEnv | undefined;

/**
 * The environment the tools run in: e2e/run.sh exports `E2E_TOOLS_PATH` (and puts it on PATH) and
 * `E2E_GATEWAY_CHART`; run by hand (plain `npx mocha --config e2e/.mocharc.json`), the built tools are found
 * through `e2e/build-tools.sh --env`. With `E2E_USE_PATH=1` the tools on PATH are used as they are.
 */
export function toolsEnv(): NodeJS.ProcessEnv {
    if (cachedEnv) return cachedEnv;
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (env.E2E_USE_PATH !== "1" && (!env.E2E_TOOLS_PATH || !env.E2E_GATEWAY_CHART)) {
        const r = child.spawnSync("bash", [path.join(REPO, "e2e", "build-tools.sh"), "--env"], { encoding: "utf8" });
        if (r.status !== 0) {
            throw new Error(`e2e/build-tools.sh --env failed (build the tools first: e2e/build-tools.sh): ${r.stderr.trim()}`);
        }
        for (const m of r.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) {
            env[m[1]] ??= m[2];
        }
    }
    if (env.E2E_TOOLS_PATH && !(env.PATH ?? "").split(path.delimiter).includes(env.E2E_TOOLS_PATH.split(path.delimiter)[0])) {
        env.PATH = `${env.E2E_TOOLS_PATH}${path.delimiter}${env.PATH ?? ""}`;
    }
    if (!env.E2E_GATEWAY_CHART) {
        throw new Error("E2E_GATEWAY_CHART is not set: a local istio/gateway chart directory (e2e/README.md)");
    }
    cachedEnv = env;
    return env;
}

/** Runs a command to completion (no shell), with the tools' environment. Never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
    const r = child.spawnSync(cmd, args, {
        cwd: opts.cwd ?? REPO,
        input: opts.input,
        env: opts.env ?? toolsEnv(),
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 300_000,
    });
    if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like `run`, but a non-zero exit throws with the command's output. */
export function runOk(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): RunResult {
    const r = run(cmd, args, opts);
    if (r.code !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
    }
    return r;
}

export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `istio-egress-e2e-${prefix}-`));
}

/** One Kubernetes object as render writes it (kind, metadata, spec, ...). */
export type KubeObject = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
    [k: string]: unknown;
};

/** A parsed document that has the shape of a `KubeObject` (a string kind, a metadata object with a string name). */
export function isKubeObject(v: unknown): v is KubeObject {
    return isRecord(v) && typeof v.kind === "string" && v.kind !== "" && typeof valueAt(v, "metadata", "name") === "string";
}

export interface HelmRelease {
    release: string;
    namespace: string;
    chart: string;
    version?: string;
    values: Record<string, unknown>;
}

/** What `istio-egress render DIR --out OUT --json` wrote and printed. */
export interface Rendered {
    outDir: string;
    /** The object files render wrote (one object each), absolute paths. */
    objectFiles: string[];
    objects: KubeObject[];
    /** The Helm releases, read back from the `helmrelease-*.yaml` files render wrote (values only). */
    helmReleases: HelmRelease[];
    outputs: Record<string, unknown>;
    /** render's own JSON (objects, report, violations, ...). */
    json: Record<string, unknown>;
}

/**
 * Renders a Pulumi program with the real CLI (`node dist/sdk/cli/main.js render`), the way a user runs it, and
 * reads back the files it wrote. Exit 0 is required: the program ran, every object is schema-valid, the pack and
 * the report pass.
 */
export function renderExample(dir: string, outDir: string, extra: string[] = []): Rendered {
    const r = run(process.execPath, [path.join(REPO, "dist", "sdk", "cli", "main.js"), "render", dir, "--out", outDir, "--json", ...extra]);
    if (r.code !== 0) {
        throw new Error(`istio-egress render ${dir} exited ${r.code}\n${r.stderr.slice(-6000)}`);
    }
    const json = recordAt(JSON.parse(r.stdout) as unknown);
    const objectFiles: string[] = [];
    const objects: KubeObject[] = [];
    for (const o of listAt(json, "objects")) {
        const [file, kind, name] = [stringAt(o, "file"), stringAt(o, "kind"), stringAt(o, "name")];
        if (file === undefined) throw new Error(`render ${dir}: an entry of its JSON's objects has no file: ${JSON.stringify(o)}`);
        const abs = path.join(outDir, file);
        const obj: unknown = YAML.parse(fs.readFileSync(abs, "utf8"));
        if (!isKubeObject(obj) || obj.kind !== kind || obj.metadata.name !== name) {
            throw new Error(
                `render ${dir}: ${file} holds ${String(valueAt(obj, "kind"))} ${String(valueAt(obj, "metadata", "name"))}, its JSON says ${kind} ${name}`,
            );
        }
        objectFiles.push(abs);
        objects.push(obj);
    }
    const helmReleases: HelmRelease[] = listAt(json, "helmReleases").map((h) => {
        const file = stringAt(h, "file");
        if (file === undefined) throw new Error(`render ${dir}: an entry of its JSON's helmReleases has no file: ${JSON.stringify(h)}`);
        const v: unknown = YAML.parse(fs.readFileSync(path.join(outDir, file), "utf8"));
        const [release, namespace, chart] = [stringAt(v, "release"), stringAt(v, "namespace"), stringAt(v, "chart")];
        if (release === undefined || namespace === undefined || chart === undefined) {
            throw new Error(`render ${dir}: ${file} lacks a string release, namespace or chart`);
        }
        return { release, namespace, chart, version: stringAt(v, "version"), values: recordAt(v, "values") };
    });
    return { outDir, objectFiles, objects, helmReleases, outputs: recordAt(json, "outputs"), json };
}

/**
 * The objects the istio/gateway chart creates for a release, from `helm template` of the local chart
 * (E2E_GATEWAY_CHART) with the release's values as render wrote them: the Service, Deployment, ServiceAccount,
 * Role/RoleBinding, PodDisruptionBudget, ... that `pulumi up` would install.
 */
export function chartObjects(release: HelmRelease, workDir: string): { file: string; yaml: string; objects: KubeObject[] } {
    if (release.chart !== "gateway") {
        throw new Error(`Helm release ${release.namespace}/${release.release}: chart "${release.chart}", expected the istio/gateway chart`);
    }
    const values = path.join(workDir, `values-${release.namespace}-${release.release}.json`);
    fs.writeFileSync(values, JSON.stringify(release.values));
    const chart = toolsEnv().E2E_GATEWAY_CHART!;
    const r = runOk("helm", ["template", release.release, chart, "--namespace", release.namespace, "--values", values]);
    const file = path.join(workDir, `chart-${release.namespace}-${release.release}.yaml`);
    fs.writeFileSync(file, r.stdout);
    const objects = YAML.parseAllDocuments(r.stdout)
        .map((d) => d.toJS() as unknown)
        .filter((o) => isRecord(o) && !!o.kind)
        .map((o) => {
            if (!isKubeObject(o)) throw new Error(`helm template ${release.release}: an object without a string kind and metadata.name: ${JSON.stringify(o)}`);
            return o;
        });
    return { file, yaml: r.stdout, objects };
}
