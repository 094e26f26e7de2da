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

/**
 * Top-level labels that never name a host on the internet: special-use names (RFC 6761: `localhost`, `invalid`,
 * `test`, `example`; RFC 6762 `local`; RFC 8375 `home.arpa`; `arpa` reverse zones), the private-use `internal`
 * (ICANN, 2024; `metadata.google.internal` is GCP's metadata server), the names Kubernetes resolves inside the
 * cluster (`svc`, `cluster`, the namespace `default`), and the never-delegated `localdomain`, `lan`, `home`,
 * `corp`, `intranet`, `private`.
 */
export const NON_PUBLIC_TLDS: ReadonlySet<string> = new Set([
    "local",
    "localhost",
    "localdomain",
    "internal",
    "invalid",
    "test",
    "example",
    "arpa",
    "svc",
    "cluster",
    "default",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
]);

/**
 * Why `host` (a name or `*.name`) is not an external host but a name the cluster or the local network resolves,
 * or undefined. `clusterNames` are further suffixes known to be internal (the cluster's DNS domain and trust
 * domain), `namespaces` the namespaces the caller knows of (a two-label `svc.namespace` is a Service).
 */
export function internalHostProblem(host: string, clusterNames: readonly string[] = [CLUSTER_DOMAIN], namespaces: readonly string[] = []): string | undefined {
    const name = host.toLowerCase().replace(/^\*\./, "");
    const labels = name.split(".");
    const tld = labels[labels.length - 1];
    for (const suffix of clusterNames) {
        if (name === suffix || name.endsWith(`.${suffix}`)) {
            return `is a cluster-local name (under ${suffix}), not an external host: in-cluster traffic does not go through the egress gateway`;
        }
    }
    if (labels.includes("svc")) {
        return "looks like a Kubernetes Service name (`<svc>.<namespace>.svc...`), not an external host";
    }
    if (NON_PUBLIC_TLDS.has(tld)) {
        return `ends in .${tld}, a name that is never public (special-use, private or cluster-local), not an external host`;
    }
    if (labels.length === 2 && namespaces.includes(tld)) {
        return `looks like a Kubernetes Service (\`<svc>.${tld}\`: ${tld} is a namespace of this mesh), not an external host`;
    }
    return undefined;
}

/**
 * Why `host` reads as an IP address rather than a DNS name, or undefined: a dotted-decimal or a dotted hex/octal
 * form (`0x7f.0.0.1`, `0177.0.0.1`), or any name whose last label is a number (WHATWG URL parsing and many
 * resolvers then treat the whole name as an IPv4 address; no top-level domain is numeric).
 */
export function ipLikeHostProblem(host: string): string | undefined {
    const name = host.toLowerCase().replace(/^\*\./, "");
    const labels = name.split(".");
    const numeric = (l: string) => /^(0x[0-9a-f]*|[0-9]+)$/.test(l);
    if (name.includes(":") || labels.every(numeric) || numeric(labels[labels.length - 1])) {
        return "must be a DNS name, not an IP address or an IP-like literal (hex, octal, a numeric last label); route IPs with NetworkPolicy, not through the egress gateway";
    }
    return undefined;
}
