/**
 * Names of the components' children, injective by construction.
 *
 * A child's Kubernetes name is the tuple (component, domain, purpose, qualifier) written as one DNS-1123 label
 * (Istio requires labels for some kinds, e.g. a Gateway referenced from a VirtualService; pkg/config/validation
 * `validateGatewayNames`), with an escaping that is one-to-one:
 *  - segments are joined by a single `-`;
 *  - inside the component's name (and an extra CIDR's name) every `-` is doubled;
 *  - a host is written with `.` as a single `-` and every `-` doubled (`my-api.example.com` → `my--api-example-com`);
 *    a wildcard's `*.` is not written: its purpose says it (`wildcard` instead of `host`);
 *  - the purpose comes from a fixed vocabulary (below) that decides how many segments follow.
 * Segments never start or end with `-`, so in an un-shortened name every single `-` (a run of length one) is a
 * separator or a host's dot, and every other run of dashes has even length; `decodeObjectName` reads a name
 * back. A name longer than 63 characters is cut and ends in `---` and 10 hex digits of the SHA-256 of the full
 * name: a run of three dashes never occurs in an un-shortened name, so a shortened name can only equal another
 * shortened name of the same hash prefix.
 *
 * Team components (`EgressRoutes`) write the reserved segment `team` after their name: no platform purpose is
 * `team`, so a team can never produce a platform's names, whatever it is called.
 *
 * A child's Pulumi name (`pulumiName`) starts with the component's name, then the rest of the Kubernetes name (of
 * the full name when it was shortened, so that it does not depend on the component's name and a renamed component's
 * aliases find every child), the kind and, for objects in an application namespace, the namespace.
 */
import { createHash } from "crypto";

export type NameDomain = "platform" | "team";
export const TEAM_MARKER = "team";
export const NAME_LIMIT = 63;

/** Purposes that take a host (exact or wildcard) as their qualifier. */
export const HOST_PURPOSES = ["host", "wildcard", "upstream", "tls"] as const;
/** Purposes that take an extra CIDR's name as their qualifier. */
export const LABEL_PURPOSES = ["allow-cidr", "private-endpoint"] as const;
/** Purposes without a qualifier. */
export const PLAIN_PURPOSES = [
    "namespace",
    "release",
    "gateway",
    "routes",
    "deny-all",
    "ingress",
    "egress-dns",
    "egress-istiod",
    "egress-internet",
    "strict-mtls",
    "default-deny",
    "allow",
    "deny",
    "access-logs",
    "deny-egress",
    "egress-gateway",
    "egress-in-cluster",
    "registry-only",
    "egress-node-dns",
    "egress-mesh-ca",
    "egress-collectors",
    "ingress-metrics",
] as const;
export type HostPurpose = (typeof HOST_PURPOSES)[number];
export type LabelPurpose = (typeof LABEL_PURPOSES)[number];
export type PlainPurpose = (typeof PLAIN_PURPOSES)[number];
export type Purpose = HostPurpose | LabelPurpose | PlainPurpose;

/** `a-b` → `a--b`. */
export function escapeSegment(s: string): string {
    return s.replace(/-/g, "--");
}

/** A host as a name segment: `*.` dropped (the purpose says wildcard), `-` doubled, `.` as `-`. */
export function hostSegment(host: string): string {
    return host.replace(/^\*\./, "").replace(/-/g, "--").replace(/\./g, "-");
}

/**
 * The full name behind each shortened name made in this process, for `pulumiName`: a child's Pulumi name is written
 * from the full name (without the component), so that it does not depend on the component's name through the hash
 * or the cut, and an alias to the component's old name finds every child. Keyed by the shortened name, which
 * carries a hash of the full one, so an entry can only ever map to its own full name.
 */
const FULL_NAMES = new Map<string, string>();

const hash10 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 10);

function shorten(full: string): string {
    const hash = hash10(full);
    const short = `${full.slice(0, NAME_LIMIT - 3 - hash.length).replace(/-+$/, "")}---${hash}`;
    FULL_NAMES.set(short, full);
    return short;
}

/** The prefix every name of a component starts with: `<component>` or `<component>-team`. */
export function namePrefix(component: string, domain: NameDomain): string {
    return domain === "team" ? `${escapeSegment(component)}-${TEAM_MARKER}` : escapeSegment(component);
}

export function objectName(component: string, domain: NameDomain, purpose: PlainPurpose): string;
export function objectName(component: string, domain: NameDomain, purpose: HostPurpose, host: string): string;
export function objectName(component: string, domain: NameDomain, purpose: LabelPurpose, label: string): string;
export function objectName(component: string, domain: NameDomain, purpose: Purpose, qualifier?: string): string {
    const segments = [namePrefix(component, domain), purpose];
    if ((HOST_PURPOSES as readonly string[]).includes(purpose)) {
        segments.push(hostSegment(qualifier!));
    } else if ((LABEL_PURPOSES as readonly string[]).includes(purpose)) {
        segments.push(escapeSegment(qualifier!));
    } else if (qualifier !== undefined) {
        throw new Error(`internal: purpose ${purpose} takes no qualifier`);
    }
    const full = segments.join("-");
    return full.length <= NAME_LIMIT ? full : shorten(full);
}

/** The name of a host's objects: purpose `host` for an exact host, `wildcard` for `*.domain`. */
export function hostObjectName(component: string, domain: NameDomain, host: string, purpose: "main" | "upstream" | "tls" = "main"): string {
    if (purpose === "main") return objectName(component, domain, host.startsWith("*.") ? "wildcard" : "host", host);
    return objectName(component, domain, purpose, host);
}

export interface DecodedName {
    component: string;
    domain: NameDomain;
    purpose: Purpose;
    /** The host (`*.x` for a wildcard) or the extra CIDR's name. */
    qualifier?: string;
}

/** Reads an un-shortened name back into its tuple; undefined for a shortened name or a string no tuple gives. */
export function decodeObjectName(name: string): DecodedName | undefined {
    if (name.includes("---")) return undefined;
    // The component: up to the first single dash.
    const m = /^((?:[a-z0-9]|--)+?)-(?!-)(.*)$/.exec(name);
    if (!m) return undefined;
    const component = m[1].replace(/--/g, "-");
    let rest = m[2];
    let domain: NameDomain = "platform";
    if (rest === TEAM_MARKER || rest.startsWith(`${TEAM_MARKER}-`)) {
        domain = "team";
        rest = rest.slice(TEAM_MARKER.length + 1);
    }
    for (const p of PLAIN_PURPOSES) if (rest === p) return { component, domain, purpose: p };
    for (const p of [...HOST_PURPOSES, ...LABEL_PURPOSES]) {
        if (!rest.startsWith(`${p}-`)) continue;
        const q = rest.slice(p.length + 1);
        if ((LABEL_PURPOSES as readonly string[]).includes(p)) return { component, domain, purpose: p, qualifier: q.replace(/--/g, "-") };
        // In a host: a single dash is a dot, a doubled one a dash.
        const host = q.replace(/--|-/g, (d) => (d === "--" ? "-" : "."));
        return { component, domain, purpose: p, qualifier: p === "wildcard" ? `*.${host}` : host };
    }
    return undefined;
}

const KIND_SHORT: Record<string, string> = {
    Namespace: "ns",
    ConfigMap: "cm",
    NetworkPolicy: "netpol",
    Gateway: "gw",
    DestinationRule: "dr",
    ServiceEntry: "se",
    VirtualService: "vs",
    Sidecar: "sidecar",
    AuthorizationPolicy: "authz",
    PeerAuthentication: "peerauth",
    Telemetry: "telemetry",
    Release: "helm",
};

/** The longest `<rest>` of a Pulumi name (past it: cut, `---` and a hash of the whole rest, as for Kubernetes names). */
export const PULUMI_REST_LIMIT = 200;

/**
 * A child's Pulumi name: `<component>/[team/]<rest>.<kind>`, plus `@<namespace>` for an object in an application
 * namespace. `<rest>` is the Kubernetes name after the component's prefix — of the full name when the Kubernetes
 * name was shortened, so that it never depends on the component's name (a shortened name's cut and hash do). It
 * starts with the component's own (unescaped) name, so Pulumi's child aliases (the parent's name replaced in the
 * child's) follow a renamed component; `/`, `.` and `@` never occur in the parts, so the mapping is one-to-one.
 */
export function pulumiName(component: string, domain: NameDomain, k8sName: string, kind: string, applicationNamespace?: string): string {
    const short = KIND_SHORT[kind];
    if (!short) throw new Error(`internal: no short name for kind ${kind}`);
    const prefix = `${namePrefix(component, domain)}-`;
    const full = FULL_NAMES.get(k8sName) ?? k8sName;
    if (full.includes("---")) throw new Error(`internal: ${k8sName} is a shortened name this process did not make`);
    const whole = full.startsWith(prefix) ? full.slice(prefix.length) : full;
    const rest = whole.length <= PULUMI_REST_LIMIT ? whole : `${whole.slice(0, PULUMI_REST_LIMIT - 13).replace(/-+$/, "")}---${hash10(whole)}`;
    return `${component}/${domain === "team" ? `${TEAM_MARKER}/` : ""}${rest}.${short}${applicationNamespace ? `@${applicationNamespace}` : ""}`;
}
