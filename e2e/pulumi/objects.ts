/** The API server's copies of a stack's objects, compared with what `istio-egress render` wrote. */
import { isRecord, listAt, valueAt } from "../../sdk/model/read";
import { isKubeObject, KubeObject, runOk } from "../lib/tools";
import { kubeconfig } from "./stack";

export const kubectl = (args: string[]) => runOk("kubectl", ["--kubeconfig", kubeconfig(), ...args]);
export const key = (o: { kind: string; metadata: { namespace?: string; name: string } }) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Fields only the server or Pulumi writes: never compared. */
function ownAnnotations(a: Record<string, string> | undefined): Record<string, string> {
    return Object.fromEntries(
        Object.entries(a ?? {}).filter(([k]) => !k.startsWith("pulumi.com/") && k !== "kubectl.kubernetes.io/last-applied-configuration"),
    );
}

/** Differences where `live` lacks or changes what `want` says (live may hold more: server defaults). */
function notContained(want: unknown, live: unknown, at: string, out: string[]): void {
    if (want !== null && typeof want === "object" && !Array.isArray(want)) {
        if (live === null || typeof live !== "object" || Array.isArray(live)) return void out.push(`${at}: ${JSON.stringify(live)} instead of an object`);
        for (const [k, v] of Object.entries(want)) notContained(v, valueAt(live, k), `${at}.${k}`, out);
    } else if (Array.isArray(want)) {
        if (!Array.isArray(live) || live.length !== want.length) return void out.push(`${at}: ${JSON.stringify(live)} instead of ${JSON.stringify(want)}`);
        want.forEach((v, i) => notContained(v, live[i], `${at}[${i}]`, out));
    } else if (want !== live) {
        out.push(`${at}: ${JSON.stringify(live)} instead of ${JSON.stringify(want)}`);
    }
}

/**
 * Istio's kinds are CustomResources without server-side defaults, and a ConfigMap's data is stored as sent: those
 * must be equal. Built-in kinds get the API server's defaults (a Namespace's finalizers, a NetworkPolicy port's
 * protocol), so there the rendered fields must be present and equal on the server.
 */
function exact(o: KubeObject): boolean {
    return /\.istio\.io\//.test(o.apiVersion) || o.kind === "ConfigMap";
}

export function compare(want: KubeObject, live: KubeObject): string[] {
    const out: string[] = [];
    if (live.apiVersion !== want.apiVersion) out.push(`apiVersion: ${live.apiVersion} instead of ${want.apiVersion}`);
    // The API server labels every Namespace with its name (kubernetes.io/metadata.name, the NamespaceDefaultLabelName
    // feature): server-set, like metadata.uid.
    const labels = { ...(live.metadata.labels ?? {}) };
    if (live.kind === "Namespace" && labels["kubernetes.io/metadata.name"] === live.metadata.name) delete labels["kubernetes.io/metadata.name"];
    if (JSON.stringify(sorted(labels)) !== JSON.stringify(sorted(want.metadata.labels ?? {})))
        out.push(`labels: ${JSON.stringify(labels)} instead of ${JSON.stringify(want.metadata.labels ?? {})}`);
    const ann = ownAnnotations(live.metadata.annotations);
    if (JSON.stringify(sorted(ann)) !== JSON.stringify(sorted(ownAnnotations(want.metadata.annotations))))
        out.push(`annotations: ${JSON.stringify(ann)} instead of ${JSON.stringify(want.metadata.annotations ?? {})}`);
    const fields = new Set(
        [...Object.keys(want), ...(exact(want) ? Object.keys(live) : [])].filter((k) => !["apiVersion", "kind", "metadata", "status"].includes(k)),
    );
    for (const f of fields) {
        if (exact(want)) {
            if (JSON.stringify(sortedDeep(live[f])) !== JSON.stringify(sortedDeep(want[f])))
                out.push(`${f}: server ${JSON.stringify(live[f])}\n    render ${JSON.stringify(want[f])}`);
        } else {
            notContained(want[f], live[f], f, out);
        }
    }
    return out;
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
function sortedDeep(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortedDeep);
    if (isRecord(v))
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, sortedDeep(v[k])]),
        );
    return v;
}

/** The live copies of the objects in `files` (kubectl get -f reads each file's kind, namespace and name). */
export function liveObjects(files: string[], ignoreNotFound = false): KubeObject[] {
    if (files.length === 0) return [];
    const r = kubectl(["get", ...files.flatMap((f) => ["-f", f]), "-o", "json", ...(ignoreNotFound ? ["--ignore-not-found"] : [])]);
    if (r.stdout.trim() === "") return [];
    const j: unknown = JSON.parse(r.stdout);
    const items = valueAt(j, "kind") === "List" ? listAt(j, "items") : [j];
    return items.map((o) => {
        if (!isKubeObject(o)) throw new Error(`kubectl get: not a Kubernetes object: ${JSON.stringify(o).slice(0, 400)}`);
        return o;
    });
}
