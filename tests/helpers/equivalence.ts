/**
 * Semantic "facets" of Istio egress routing, extracted from any set of Istio objects — Istio's reference YAML or
 * the objects this package emits — so that the two can be compared while names and namespaces differ.
 *
 * The extractor follows references the way Istio does, never list positions:
 *   - a VirtualService's `gateways` entries (`mesh`, `name` or `namespace/name`) → the Gateway objects, and from
 *     those the servers whose `hosts` carry the VirtualService's host on the leg's port;
 *   - a route destination's host → the ServiceEntry that declares it, and the DestinationRule for that host, whose
 *     effective TLS for the destination's subset and port is computed with Istio's precedence (subset port-level,
 *     subset, port-level, top-level);
 *   - a mesh leg's destination is "the gateway Service" when it is a cluster-local Service name that no
 *     ServiceEntry declares and the VirtualService also binds a Gateway object. Its name is never kept.
 *
 * Objects without `metadata.namespace` (Istio's docs apply them with a plain `kubectl apply`) are taken to live in
 * the `default` namespace when resolving references.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, isNode, parseAllDocuments } from "yaml";
import { hostCovers, type K8sObject } from "../../sdk/model";
import { bool, listAt, num, shown, stringAt, valueAt } from "../../sdk/model/read";

export interface PortFacet {
    /** Undefined when the entry's port has no number (no port Istio accepts). */
    number: number | undefined;
    protocol: string;
    /** Where the host really listens, when the entry maps its port elsewhere (`targetPort`). */
    targetPort?: number;
}

/** A ServiceEntry as the routing sees it: ports, resolution and location (defaults applied), no name. */
export interface EntryFacet {
    ports: PortFacet[];
    /** Istio's default is NONE. */
    resolution: string;
    /** Istio's default is MESH_EXTERNAL. */
    location: string;
}

/** The TLS settings a DestinationRule applies to one destination (subset, port). */
export interface TlsFacet {
    mode: string;
    sni?: string;
    credentialName?: string;
    subjectAltNames?: string[];
    caCertificates?: string;
    insecureSkipVerify?: boolean;
}

/** A Gateway server carrying a host. */
export interface ServerFacet {
    /** Undefined when the server's port has no number. */
    port: number | undefined;
    protocol: string;
    /** `tls.mode`, undefined for a plain server. */
    tlsMode?: string;
}

export type RouteKind = "http" | "tls" | "tcp";

/** Leg 1: a route bound to `mesh` (the sidecars). */
export interface MeshLegFacet {
    route: RouteKind;
    port?: number;
    sniHosts?: string[];
    /** The destination is the egress gateway's Service (see the module comment); its name is not kept. */
    toGatewayService: boolean;
    /** For a destination that is not the gateway Service: its host (undefined otherwise). */
    otherHost?: string;
    /** The destination names a subset ... */
    subset: boolean;
    /** ... and a DestinationRule for the destination host defines it. */
    subsetDefined: boolean;
    destinationPort?: number;
    /** Effective TLS towards the destination (for the gateway Service: the sidecar → gateway hop). */
    tls?: TlsFacet;
}

/** Leg 2: a route bound to a Gateway object (runs on the gateway pods). */
export interface GatewayLegFacet {
    route: RouteKind;
    port?: number;
    sniHosts?: string[];
    /** Gateway references that resolved to no Gateway object (should be empty). */
    unresolvedGateways: string[];
    /** The servers of the referenced Gateways that carry the host (on the leg's port when it sets one). */
    servers: ServerFacet[];
    /** `endpointPort`: the port on the host where the traffic lands (the entry port's `targetPort`, else the port). */
    /** `host` is undefined when the route's destination names none. */
    destination: { host: string | undefined; port?: number; endpointPort?: number };
    /** The ServiceEntry declaring the destination host, if any. */
    destinationEntry?: EntryFacet;
    /** Effective TLS of the destination host's DestinationRule at the destination port: TLS origination. */
    origination?: TlsFacet & { port?: number; endpointPort?: number };
}

export interface HostFacets {
    host: string;
    /** The ServiceEntry declaring the host, if any. */
    entry?: EntryFacet;
    meshLegs: MeshLegFacet[];
    gatewayLegs: GatewayLegFacet[];
}

const DEFAULT_NAMESPACE = "default";
const CLUSTER_SERVICE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc\.cluster\.local$/;

/** The strings of the list `v` (hosts, gateways, sniHosts, subjectAltNames); other items are left out. */
function strings(v: unknown): string[] {
    return listAt(v).filter((x): x is string => typeof x === "string");
}

function nsOf(o: K8sObject): string {
    return o.metadata?.namespace ?? DEFAULT_NAMESPACE;
}

function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
    return objects.filter((o) => o && o.kind === kind && typeof o.apiVersion === "string" && o.apiVersion.startsWith("networking.istio.io/"));
}

/** Gateway `servers[].hosts` entries are `[namespace/]host`; the namespace part limits which VS namespaces bind. */
function serverHostCovers(entry: string, gatewayNs: string, vsNs: string, host: string): boolean {
    const slash = entry.indexOf("/");
    const nsPart = slash >= 0 ? entry.slice(0, slash) : "*";
    const hostPart = slash >= 0 ? entry.slice(slash + 1) : entry;
    if (nsPart === "." && vsNs !== gatewayNs) return false;
    if (nsPart !== "*" && nsPart !== "." && nsPart !== vsNs) return false;
    return hostCovers(hostPart, host);
}

function entryFacet(se: K8sObject): EntryFacet {
    const ports: PortFacet[] = listAt(se, "spec", "ports").map((p) => {
        const number = num(valueAt(p, "number"));
        const targetPort = num(valueAt(p, "targetPort"));
        return {
            number,
            protocol: shown(valueAt(p, "protocol") ?? "").toUpperCase(),
            ...(targetPort !== undefined && targetPort !== number ? { targetPort } : {}),
        };
    });
    ports.sort((a, b) => (a.number ?? 0) - (b.number ?? 0) || a.protocol.localeCompare(b.protocol));
    return { ports, resolution: stringAt(se, "spec", "resolution") ?? "NONE", location: stringAt(se, "spec", "location") ?? "MESH_EXTERNAL" };
}

function tlsFacet(tls: unknown): TlsFacet | undefined {
    const mode = stringAt(tls, "mode");
    if (mode === undefined) return undefined;
    const f: TlsFacet = { mode };
    const sni = stringAt(tls, "sni");
    if (sni !== undefined) f.sni = sni;
    const credentialName = stringAt(tls, "credentialName");
    if (credentialName !== undefined) f.credentialName = credentialName;
    if (valueAt(tls, "subjectAltNames") !== undefined) f.subjectAltNames = strings(valueAt(tls, "subjectAltNames"));
    const caCertificates = stringAt(tls, "caCertificates");
    if (caCertificates !== undefined) f.caCertificates = caCertificates;
    const insecureSkipVerify = bool(valueAt(tls, "insecureSkipVerify"));
    if (insecureSkipVerify !== undefined) f.insecureSkipVerify = insecureSkipVerify;
    return f;
}

function portLevelTls(policy: unknown, port: number | undefined): unknown {
    if (!policy || port === undefined) return undefined;
    const pls = listAt(policy, "portLevelSettings").find((s) => valueAt(s, "port", "number") === port);
    return valueAt(pls, "tls");
}

/**
 * The TLS a client applies towards `host` (optionally a subset, optionally a port), from the DestinationRules
 * in `objects`, with Istio's precedence: subset port-level > subset top-level > port-level > top-level.
 */
export function effectiveTls(
    objects: K8sObject[],
    host: string | undefined,
    subset: string | undefined,
    port: number | undefined,
): { tls?: TlsFacet; subsetDefined: boolean } {
    const drs = ofKind(objects, "DestinationRule").filter((d) => valueAt(d, "spec", "host") === host);
    const definesSubset = (s: unknown) => valueAt(s, "name") === subset;
    const dr = (subset !== undefined ? drs.find((d) => listAt(d, "spec", "subsets").some(definesSubset)) : undefined) ?? drs[0];
    if (!dr) return { subsetDefined: false };
    const sub = subset !== undefined ? listAt(dr, "spec", "subsets").find(definesSubset) : undefined;
    const candidates = [
        portLevelTls(valueAt(sub, "trafficPolicy"), port),
        valueAt(sub, "trafficPolicy", "tls"),
        portLevelTls(valueAt(dr, "spec", "trafficPolicy"), port),
        valueAt(dr, "spec", "trafficPolicy", "tls"),
    ];
    const tls = candidates.find((t) => t && valueAt(t, "mode") !== undefined);
    return { tls: tlsFacet(tls), subsetDefined: sub !== undefined };
}

function findEntry(objects: K8sObject[], host: string): EntryFacet | undefined {
    const se = ofKind(objects, "ServiceEntry").find((s) => listAt(s, "spec", "hosts").includes(host));
    return se ? entryFacet(se) : undefined;
}

function resolveGateway(objects: K8sObject[], ref: string, vsNs: string): K8sObject | undefined {
    const slash = ref.indexOf("/");
    const ns = slash >= 0 ? ref.slice(0, slash) : vsNs;
    const name = slash >= 0 ? ref.slice(slash + 1) : ref;
    return ofKind(objects, "Gateway").find((g) => g.metadata?.name === name && nsOf(g) === ns);
}

/** Extracts the facets of every host that a ServiceEntry declares or a VirtualService routes. */
export function extractFacets(objects: K8sObject[]): Map<string, HostFacets> {
    const result = new Map<string, HostFacets>();
    const facetsFor = (host: string): HostFacets => {
        let f = result.get(host);
        if (!f) {
            f = { host, meshLegs: [], gatewayLegs: [] };
            const entry = findEntry(objects, host);
            if (entry) f.entry = entry;
            result.set(host, f);
        }
        return f;
    };
    const seHosts = new Set<string>();
    for (const se of ofKind(objects, "ServiceEntry")) {
        for (const h of strings(valueAt(se, "spec", "hosts"))) {
            seHosts.add(h);
            facetsFor(h);
        }
    }

    for (const vs of ofKind(objects, "VirtualService")) {
        const vsNs = nsOf(vs);
        const vsHosts = strings(valueAt(vs, "spec", "hosts"));
        const vsGateways = strings(valueAt(vs, "spec", "gateways") ?? ["mesh"]);
        const bindsGateway = vsGateways.some((g) => g !== "mesh" && resolveGateway(objects, g, vsNs) !== undefined);
        const isGatewayService = (destHost: string | undefined) =>
            destHost !== undefined && CLUSTER_SERVICE.test(destHost) && !seHosts.has(destHost) && !vsHosts.includes(destHost) && bindsGateway;

        for (const kind of ["http", "tls", "tcp"] as RouteKind[]) {
            for (const rule of listAt(vs, "spec", kind)) {
                const ruleMatches = listAt(rule, "match");
                const matches: unknown[] = ruleMatches.length > 0 ? ruleMatches : [{}];
                for (const m of matches) {
                    const gateways = listAt(m, "gateways").length > 0 ? strings(valueAt(m, "gateways")) : vsGateways;
                    const port = num(valueAt(m, "port"));
                    const sniHosts = valueAt(m, "sniHosts") ? strings(valueAt(m, "sniHosts")) : undefined;
                    for (const r of listAt(rule, "route")) {
                        const d = valueAt(r, "destination");
                        const destHost = stringAt(d, "host");
                        const destSubset = stringAt(d, "subset");
                        const destPort = num(valueAt(d, "port", "number"));
                        for (const host of vsHosts) {
                            const f = facetsFor(host);
                            if (gateways.includes("mesh")) {
                                const toGw = isGatewayService(destHost);
                                const { tls, subsetDefined } = effectiveTls(objects, destHost, destSubset, destPort);
                                const leg: MeshLegFacet = { route: kind, toGatewayService: toGw, subset: valueAt(d, "subset") !== undefined, subsetDefined };
                                if (!toGw) leg.otherHost = destHost;
                                if (port !== undefined) leg.port = port;
                                if (sniHosts) leg.sniHosts = sniHosts;
                                if (destPort !== undefined) leg.destinationPort = destPort;
                                if (tls) leg.tls = tls;
                                f.meshLegs.push(leg);
                            }
                            const refs = gateways.filter((g) => g !== "mesh");
                            if (refs.length > 0) {
                                const unresolved: string[] = [];
                                const servers: ServerFacet[] = [];
                                for (const ref of refs) {
                                    const gw = resolveGateway(objects, ref, vsNs);
                                    if (!gw) {
                                        unresolved.push(ref);
                                        continue;
                                    }
                                    for (const s of listAt(gw, "spec", "servers")) {
                                        if (port !== undefined && valueAt(s, "port", "number") !== port) continue;
                                        if (!strings(valueAt(s, "hosts")).some((e) => serverHostCovers(e, nsOf(gw), vsNs, host))) continue;
                                        const sf: ServerFacet = {
                                            port: num(valueAt(s, "port", "number")),
                                            protocol: shown(valueAt(s, "port", "protocol") ?? "").toUpperCase(),
                                        };
                                        const tlsMode = stringAt(s, "tls", "mode");
                                        if (tlsMode !== undefined) sf.tlsMode = tlsMode;
                                        servers.push(sf);
                                    }
                                }
                                const leg: GatewayLegFacet = { route: kind, unresolvedGateways: unresolved, servers, destination: { host: destHost } };
                                if (port !== undefined) leg.port = port;
                                if (sniHosts) leg.sniHosts = sniHosts;
                                const de = destHost === undefined ? undefined : findEntry(objects, destHost);
                                if (de) leg.destinationEntry = de;
                                const endpointPort =
                                    destPort === undefined ? undefined : (de?.ports.find((p) => p.number === destPort)?.targetPort ?? destPort);
                                if (destPort !== undefined) {
                                    leg.destination.port = destPort;
                                    leg.destination.endpointPort = endpointPort;
                                }
                                const { tls } = effectiveTls(objects, destHost, destSubset, destPort);
                                if (tls) leg.origination = { ...tls, ...(destPort !== undefined ? { port: destPort, endpointPort } : {}) };
                                f.gatewayLegs.push(leg);
                            }
                        }
                    }
                }
            }
        }
    }
    return result;
}

/** The facets of one host; fails loudly (naming the hosts found) when the objects do not route it at all. */
export function facetsOf(objects: K8sObject[], host: string): HostFacets {
    const all = extractFacets(objects);
    const f = all.get(host);
    if (!f) {
        throw new Error(`no ServiceEntry or VirtualService mentions ${host}; hosts found: ${[...all.keys()].join(", ") || "none"}`);
    }
    return f;
}

/** One parsed reference file: every object, and the objects of each lettered section ("A)", "(B)") of its comments. */
export interface ReferenceFile {
    file: string;
    objects: K8sObject[];
    /** Objects by section letter, for files whose comments split them into alternatives (07: A/B, 08: A/B). */
    sections: Map<string, K8sObject[]>;
    /** YAML parse errors and warnings, as messages. */
    errors: string[];
}

const SECTION_MARK = /(?:^|[\s(-])([A-H])\)\s/m;

/** The comment lines before a document's first key (the `yaml` package attaches them at one of three levels). */
function leadingComment(doc: Document.Parsed): string {
    const contents = doc.contents;
    const firstKey = isMap(contents) ? contents.items[0]?.key : undefined;
    return [doc.commentBefore, contents?.commentBefore, isNode(firstKey) ? firstKey.commentBefore : undefined].filter((c) => typeof c === "string").join("\n");
}

/** Parses a multi-document reference file with the `yaml` package (never copied into the project). */
export function readReference(dir: string, file: string): ReferenceFile {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    const docs = parseAllDocuments(text);
    const errors: string[] = [];
    const objects: K8sObject[] = [];
    const sections = new Map<string, K8sObject[]>();
    let section: string | undefined;
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
        for (const e of doc.errors) errors.push(`${file}: ${e.message}`);
        const mark = SECTION_MARK.exec(leadingComment(doc));
        if (mark) section = mark[1];
        const obj = doc.toJS() as K8sObject | null;
        if (obj === null || obj === undefined) continue;
        objects.push(obj);
        if (section) {
            if (!sections.has(section)) sections.set(section, []);
            sections.get(section)!.push(obj);
        }
    }
    return { file, objects, sections, errors };
}

/** `/work/shared/reference` seen from `dist/tests/`; undefined when absent (a user's clone). */
export function referenceRoot(fromDir: string): string | undefined {
    const dir = path.resolve(fromDir, "..", "..", "..", "shared", "reference");
    return fs.existsSync(dir) ? dir : undefined;
}
