/**
 * Request classes: the HTTP requests a row must tell apart because some rule on the path does — an
 * AuthorizationPolicy's `methods`/`paths` (and their `not` forms) or a VirtualService's `method`/`uri` match.
 * One representative request per class is evaluated; rows with the same result are merged back, so a host whose
 * rules ignore methods and paths keeps a single row.
 */
import { hostsOverlap, listAt, recordAt, type K8sObject, valueAt } from "../model/index.js";
import { pathMatches } from "./authz.js";

export interface RequestClass {
    host: string;
    method: string;
    path: string;
    /** How the class is named in a row: the pattern it stands for. */
    methodLabel?: string;
    pathLabel?: string;
    /** Whether the method / path dimension distinguishes anything at all. */
    methodMatters: boolean;
    pathMatters: boolean;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE"];
const OTHER_PATH = "/istio-egress-report/other";
const MAX = 8;

function samplePath(pattern: string): string | undefined {
    if (pattern === "*" || pattern === "") return undefined;
    if (pattern.includes("{*}") || pattern.includes("{**}")) return pattern.replace(/\{\*\*\}/g, "sample/sample").replace(/\{\*\}/g, "sample");
    if (pattern.endsWith("*")) return `${pattern.slice(0, -1)}sample`;
    if (pattern.startsWith("*")) return `/sample${pattern.slice(1)}`;
    return pattern;
}

interface Collected {
    methods: string[];
    paths: { pattern: string; sample: string }[];
}

function collect(policies: K8sObject[], virtualServices: K8sObject[], host: string): Collected {
    const methods = new Set<string>();
    const paths = new Map<string, string>();
    const addPath = (pattern: string, sample: string | undefined) => {
        if (sample !== undefined && !paths.has(pattern)) paths.set(pattern, sample);
    };
    // Only the classes come from here: a field of the wrong type adds none (evaluateAuthz refuses the policy).
    for (const p of policies) {
        for (const rule of listAt(valueAt(p.spec, "rules"))) {
            for (const t of listAt(valueAt(rule, "to"))) {
                const op = recordAt(valueAt(t, "operation"));
                for (const m of [...listAt(op.methods), ...listAt(op.notMethods)]) {
                    const s = String(m);
                    if (s !== "*" && !s.includes("*")) methods.add(s.toUpperCase());
                }
                for (const pa of [...listAt(op.paths), ...listAt(op.notPaths)]) {
                    addPath(String(pa), samplePath(String(pa)));
                }
            }
        }
    }
    for (const vs of virtualServices) {
        if (!listAt(valueAt(vs.spec, "hosts")).some((h) => hostsOverlap(String(h), host))) continue;
        for (const entry of listAt(valueAt(vs.spec, "http"))) {
            for (const m of listAt(valueAt(entry, "match"))) {
                const method = valueAt(m, "method", "exact");
                const exact = valueAt(m, "uri", "exact");
                const prefix = valueAt(m, "uri", "prefix");
                if (typeof method === "string") methods.add(method.toUpperCase());
                if (typeof exact === "string") addPath(`= ${exact}`, exact);
                if (typeof prefix === "string" && prefix !== "/") addPath(`${prefix}…`, `${prefix}${prefix.endsWith("/") ? "" : "/"}sample`);
            }
        }
    }
    return { methods: [...methods].slice(0, MAX), paths: [...paths.entries()].slice(0, MAX).map(([pattern, sample]) => ({ pattern, sample })) };
}

/**
 * The classes of HTTP requests to `host` (already a concrete name) that the given policies and VirtualServices
 * tell apart. Without any method or path in them: one class, `GET /`.
 */
export function requestClasses(policies: K8sObject[], virtualServices: K8sObject[], host: string): RequestClass[] {
    const c = collect(policies, virtualServices, host);
    const methodMatters = c.methods.length > 0;
    const pathMatters = c.paths.length > 0;
    const methods: { method: string; label?: string }[] = methodMatters ? c.methods.map((m) => ({ method: m, label: m })) : [{ method: "GET" }];
    if (methodMatters) {
        const other = METHODS.find((m) => !c.methods.includes(m)) ?? "PROPFIND";
        methods.push({ method: other, label: `other methods (${other})` });
    }
    const paths: { path: string; label?: string }[] = pathMatters ? c.paths.map((p) => ({ path: p.sample, label: p.pattern })) : [{ path: "/" }];
    if (pathMatters) {
        // A path that none of the patterns name (if every candidate is named, the last one stands for "other").
        const other = [OTHER_PATH, "/", "/x"].find((cand) => !c.paths.some((p) => pathMatches(p.pattern.replace(/^= /, ""), cand))) ?? OTHER_PATH;
        paths.push({ path: other, label: `other paths (${other})` });
    }
    const out: RequestClass[] = [];
    for (const m of methods) {
        for (const p of paths) {
            out.push({ host, method: m.method, path: p.path, methodLabel: m.label, pathLabel: p.label, methodMatters, pathMatters });
        }
    }
    return out;
}

/**
 * Names a set of classes that share one result: `GET`, `GET, HEAD`, `POST /admin/*`, `other methods (PATCH)`.
 * `all` holds every class of the row's host, so a set covering every path of its methods is named by methods only.
 */
export function describeClasses(group: RequestClass[], all: RequestClass[]): string | undefined {
    if (group.length === all.length) {
        return undefined;
    }
    const methodLabels = [...new Set(all.map((c) => c.methodLabel ?? c.method))];
    const pathLabels = [...new Set(all.map((c) => c.pathLabel ?? c.path))];
    const ml = (c: RequestClass) => c.methodLabel ?? c.method;
    const pl = (c: RequestClass) => c.pathLabel ?? c.path;
    const groupMethods = [...new Set(group.map(ml))];
    const groupPaths = [...new Set(group.map(pl))];
    const fullMethods = groupMethods.filter((m) => pathLabels.every((p) => group.some((c) => ml(c) === m && pl(c) === p)));
    const fullPaths = groupPaths.filter((p) => methodLabels.every((m) => group.some((c) => ml(c) === m && pl(c) === p)));
    if (fullMethods.length === groupMethods.length && group.length === fullMethods.length * pathLabels.length) {
        return fullMethods.join(", ");
    }
    if (fullPaths.length === groupPaths.length && group.length === fullPaths.length * methodLabels.length) {
        return `any method ${fullPaths.join(", ")}`;
    }
    return group.map((c) => `${ml(c)} ${pl(c)}`).join("; ");
}
