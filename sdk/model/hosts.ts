/**
 * Host names as Istio matches them: a ServiceEntry's or VirtualService's `hosts` entry is an exact name, `*`, or
 * `*.suffix` (the wildcard covers one or more leading labels). DNS names compare case-insensitively.
 * Source: istio/istio `pkg/config/host/name.go` (`Name.Matches`, `Name.SubsetOf`).
 */

/** Does the host pattern `pattern` (`*.example.com`, `*`, or exact) cover `host` (itself a name or a pattern)? */
export function hostCovers(pattern: string, host: string): boolean {
    const p = pattern.toLowerCase();
    const h = host.toLowerCase();
    if (p === h || p === "*") return true;
    if (p.startsWith("*.")) {
        const suffix = p.slice(1); // ".example.com"
        if (h.startsWith("*.")) return h.slice(1).endsWith(suffix);
        return h.endsWith(suffix) && h.length > suffix.length;
    }
    return false;
}

/** Whether two host patterns can match a common name. */
export function hostsOverlap(a: string, b: string): boolean {
    return hostCovers(a, b) || hostCovers(b, a);
}

/** The cluster's DNS suffix for Services. */
export const CLUSTER_DOMAIN = "cluster.local";

/**
 * A Kubernetes Service host written in a VirtualService, normalised to its FQDN when it is a cluster-local name:
 * `svc` (in `ns`), `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`. Anything else is returned as it is.
 */
export function fqdn(host: string, ns: string): string {
    if (host.endsWith(`.svc.${CLUSTER_DOMAIN}`)) return host;
    const parts = host.split(".");
    if (parts.length === 1) return `${host}.${ns}.svc.${CLUSTER_DOMAIN}`;
    if (parts.length === 2) return `${host}.svc.${CLUSTER_DOMAIN}`;
    if (parts.length === 3 && parts[2] === "svc") return `${host}.${CLUSTER_DOMAIN}`;
    return host;
}

/** `<svc>.<ns>.svc.cluster.local` */
export function serviceFqdn(name: string, namespace: string): string {
    return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}
