/**
 * How istiod reads Istio configuration objects before it builds any Envoy config: which objects of a kind exist,
 * in what order it considers them, which namespaces can see them (`exportTo`), how it resolves short names.
 * Pure helpers over plain objects, shared by the access report's steps. Every rule cites the istio/istio file it
 * follows (paths relative to the repository, 1.28–1.30 era).
 */
import { hostCovers, type K8sObject, valueAt } from "../model/index.js";

export const ns = (o: K8sObject): string => o.metadata?.namespace ?? "default";
export const id = (o: K8sObject): string => `${ns(o)}/${o.metadata?.name}`;

export function isIstio(o: K8sObject, kind: string, group: string): boolean {
    return o?.kind === kind && String(o.apiVersion ?? "").startsWith(`${group}/`);
}

export const isVirtualService = (o: K8sObject) => isIstio(o, "VirtualService", "networking.istio.io");
export const isGateway = (o: K8sObject) => isIstio(o, "Gateway", "networking.istio.io");
export const isServiceEntry = (o: K8sObject) => isIstio(o, "ServiceEntry", "networking.istio.io");
export const isDestinationRule = (o: K8sObject) => isIstio(o, "DestinationRule", "networking.istio.io");
export const isSidecar = (o: K8sObject) => isIstio(o, "Sidecar", "networking.istio.io");
export const isAuthorizationPolicy = (o: K8sObject) => isIstio(o, "AuthorizationPolicy", "security.istio.io");
export const isTelemetry = (o: K8sObject) => isIstio(o, "Telemetry", "telemetry.istio.io");
export const isNetworkPolicy = (o: K8sObject) => o?.kind === "NetworkPolicy" && String(o.apiVersion ?? "").startsWith("networking.k8s.io/");
export const isService = (o: K8sObject) => o?.kind === "Service" && o.apiVersion === "v1";

/**
 * Istio's order of configs of one kind: creation time, then name, then namespace
 * (`pilot/pkg/model/config.go` `configCompareByCreationTime`; VirtualServices are listed so by
 * `pilot/pkg/model/virtualservice_controller.go` `MergedVirtualServices`, Gateways by
 * `pilot/pkg/model/push_context.go` `initGateways`). An object without `metadata.creationTimestamp` has not been
 * created yet (it is about to be applied), so it sorts after every object that has one; objects applied together
 * usually share the same second, where the name decides, as Istio's tie-break does.
 */
export function compareByCreation(a: K8sObject, b: K8sObject): number {
    const ta = createdAt(a);
    const tb = createdAt(b);
    const va = Number.isNaN(ta) ? Number.POSITIVE_INFINITY : Math.floor(ta / 1000);
    const vb = Number.isNaN(tb) ? Number.POSITIVE_INFINITY : Math.floor(tb / 1000);
    if (va !== vb) {
        return va < vb ? -1 : 1;
    }
    // Go's strings.Compare: a byte-wise comparison (UTF-16 order agrees for the ASCII names Kubernetes allows).
    const na = String(a.metadata?.name ?? "");
    const nb = String(b.metadata?.name ?? "");
    if (na !== nb) {
        return na < nb ? -1 : 1;
    }
    return ns(a) < ns(b) ? -1 : ns(a) > ns(b) ? 1 : 0;
}

/** `metadata.creationTimestamp` in ms (RFC 3339 text, or a Date where a YAML 1.1 parser made one); NaN when absent or not a time. */
function createdAt(o: K8sObject): number {
    const t = o.metadata?.creationTimestamp;
    if (t instanceof Date) return t.getTime();
    return typeof t === "string" ? Date.parse(t) : Number.NaN;
}

/** Whether the order between two objects rests on creation times the objects do not carry. */
export function orderIsAssumed(a: K8sObject, b: K8sObject): boolean {
    return !a.metadata?.creationTimestamp || !b.metadata?.creationTimestamp;
}

export function sortByCreation<T extends K8sObject>(objects: T[]): T[] {
    return [...objects].sort(compareByCreation);
}

/** Mesh-config defaults for `exportTo` (MeshConfig `defaultServiceExportTo` etc.; unset = `*`). */
export interface ExportDefaults {
    service?: string[];
    virtualService?: string[];
    destinationRule?: string[];
}

/**
 * Whether an object with this `exportTo` (or the mesh default) is visible to `namespace`:
 * `*` everyone, `.` its own namespace, a namespace name that namespace, `~` nobody.
 * Sources: `pilot/pkg/model/push_context.go` `initVirtualServices` (a set containing `~` exports to nobody,
 * one containing `*` to everybody), `IsServiceVisible`, `getExportedDestinationRuleFromNamespace`.
 */
export function exportedTo(o: K8sObject, namespace: string, defaults: string[] | undefined): boolean {
    const declared = valueAt(o.spec, "exportTo");
    const list = Array.isArray(declared) && declared.length > 0 ? declared.map(String) : defaults && defaults.length > 0 ? defaults : ["*"];
    if (list.includes("*")) {
        return true;
    }
    if (list.includes("~")) {
        return false;
    }
    return list.some((e) => e === namespace || (e === "." && ns(o) === namespace));
}

/** The namespaces an object is exported to, as text (`*`, or a list). */
export function exportText(o: K8sObject, defaults: string[] | undefined): string {
    const declared = valueAt(o.spec, "exportTo");
    const list = Array.isArray(declared) && declared.length > 0 ? declared.map(String) : defaults && defaults.length > 0 ? defaults : ["*"];
    return list.map((e) => (e === "." ? ns(o) : e)).join(",");
}

/**
 * A VirtualService gateway reference as istiod resolves it: `mesh` stays `mesh`; `name` → `<vs namespace>/name`;
 * `./name` → `<vs namespace>/name`; `ns/name` as is; the legacy FQDN `name.ns.svc.cluster.local` → `ns/name`.
 * Source: `pilot/pkg/model/config.go` `resolveGatewayName`.
 */
export function resolveGatewayName(ref: string, vsNamespace: string): string {
    if (ref === "mesh") {
        return "mesh";
    }
    if (!ref.includes("/")) {
        if (!ref.includes(".")) {
            return `${vsNamespace}/${ref}`;
        }
        const [name, namespace] = ref.split(".");
        return `${namespace}/${name}`;
    }
    const [before, after] = [ref.slice(0, ref.indexOf("/")), ref.slice(ref.indexOf("/") + 1)];
    return before === "." ? `${vsNamespace}/${after}` : ref;
}

/** The gateways a VirtualService binds to (`mesh` when the list is empty): `pilot/pkg/model/push_context.go` `getGatewayNames`. */
export function vsGateways(vs: K8sObject): string[] {
    const list = valueAt(vs.spec, "gateways");
    const raw: string[] = Array.isArray(list) && list.length > 0 ? list.map(String) : ["mesh"];
    return raw.map((g) => resolveGatewayName(g, ns(vs)));
}

/**
 * A destination host as istiod resolves it: a name without a dot is a Service of the object's namespace
 * (`name.<ns>.svc.cluster.local`); anything with a dot is taken as fully qualified, so `svc.ns` is NOT the
 * Service `svc.ns.svc.cluster.local`. Source: `pilot/pkg/model/config.go` `ResolveShortnameToFQDN`.
 */
export function resolveShortname(host: string, objectNamespace: string, domain = "cluster.local"): string {
    if (host === "*" || host.includes(".") || host.includes(":")) {
        return host;
    }
    return `${host}.${objectNamespace}.svc.${domain}`;
}

/** `svc.ns.svc.cluster.local` → {name, namespace}; anything else → undefined. */
export function serviceOfHost(fqdnHost: string, domain = "cluster.local"): { name: string; namespace: string } | undefined {
    const m = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.svc\\.${domain.replace(/\./g, "\\.")}$`).exec(
        fqdnHost.toLowerCase(),
    );
    return m ? { name: m[1], namespace: m[3] } : undefined;
}

/**
 * The most specific pattern matching `name`: the name itself, else the longest `*.suffix` wildcard, else `*`
 * (Envoy's filter-chain `server_names` — `api/envoy/config/listener/v3/listener_components.proto`
 * FilterChainMatch: "for SNI www.example.com the most specific match would be www.example.com, then
 * *.example.com, then *.com, then any filter chain without server_names requirements" — and virtual host
 * `domains` — `api/envoy/config/route/v3/route_components.proto` VirtualHost.domains: exact names, then suffix
 * wildcards longest first, then `*`). Returns the rank: 0 = exact, larger = less specific, undefined = no match.
 */
export function matchRank(pattern: string, name: string): number | undefined {
    const p = pattern.toLowerCase();
    const n = name.toLowerCase().replace(/:\d+$/, "");
    if (p === n) {
        return 0;
    }
    if (p === "*") {
        return 1_000_000;
    }
    if (p.startsWith("*.") && hostCovers(p, n) && !n.startsWith("*")) {
        // Longer suffixes are more specific.
        return 1_000 - p.length;
    }
    if (p.startsWith("*") && !p.startsWith("*.") && n.endsWith(p.slice(1)) && n.length > p.length - 1) {
        return 2_000 - p.length;
    }
    return undefined;
}

/** The best-ranked candidate for `name` among candidates with patterns, earliest first on a tie. */
export function mostSpecific<T>(candidates: T[], patternsOf: (c: T) => string[], name: string): T | undefined {
    let best: T | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const c of candidates) {
        for (const p of patternsOf(c)) {
            const r = matchRank(p, name);
            if (r !== undefined && r < bestRank) {
                best = c;
                bestRank = r;
            }
        }
    }
    return best;
}

/** A concrete name standing for a wildcard host (`*.example.com` → `sample.example.com`), avoiding `taken` names. */
export function sampleName(host: string, taken: string[] = []): string {
    if (!host.startsWith("*")) {
        return host;
    }
    const suffix = host === "*" ? ".example.com" : host.slice(1);
    for (const label of ["sample", "sample-1", "sample-2", "unlisted"]) {
        const candidate = `${label}${suffix}`;
        if (!taken.some((t) => t.toLowerCase() === candidate)) {
            return candidate;
        }
    }
    return `istio-egress-report-sample${suffix}`;
}
