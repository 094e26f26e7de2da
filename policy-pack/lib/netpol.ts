/**
 * What a network policy of any flavour opens outside the cluster, and whether it is a default-deny for egress:
 * Kubernetes NetworkPolicy, Cilium (CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy), Calico (`projectcalico.org`
 * NetworkPolicy / GlobalNetworkPolicy) and AdminNetworkPolicy / BaselineAdminNetworkPolicy. Addresses are judged
 * with the same CIDR semantics everywhere (`outsideCluster`: outside `inClusterCidrs` + `allowedEgressCidrs`, and
 * every cloud metadata address).
 *
 * Semantics, per the projects' own docs:
 * - Cilium: an egress rule allows what its `to*` fields select; `toEntities` `world`/`world-ipv4`/`world-ipv6`/`all`
 *   is the internet; `toCIDR`/`toCIDRSet` are addresses; `toFQDNs` are external names; a rule with only `toPorts`
 *   (no L3 peer) allows every destination on those ports; `egress: [{}]` allows nothing (the default-deny idiom).
 *   Any `egress`/`egressDeny` section makes the selected endpoints default-deny for egress unless
 *   `enableDefaultDeny.egress: false`.
 * - Calico: an `Allow` egress rule allows its `destination`: `nets`, everything but `notNets`, `domains`; no
 *   `destination` (or only ports) is every destination. `Pass` and `Deny` allow nothing. A policy with `types`
 *   including `Egress` (or egress rules) is egress-isolating for what its `selector` selects (`all()` or empty:
 *   every endpoint in its namespace; a GlobalNetworkPolicy: every namespace).
 * - AdminNetworkPolicy: `Allow` (and `Pass`, which skips every lower-priority admin rule) to `networks` or
 *   `domainNames` outside the cluster overrides the namespaces' NetworkPolicies; a `Deny` to `0.0.0.0/0` and
 *   `::/0` for subject `namespaces: {}` is a cluster-wide egress default-deny. BaselineAdminNetworkPolicy applies
 *   where no NetworkPolicy selects a pod.
 */
import { GuardConfig } from "./config";
import { hasEgressType, networkPolicyHoles, outsideCluster, selectsOnlyGateway } from "./facts";
import {
    errorMessage,
    formatRange,
    listAt,
    NAMESPACE_NAME_LABEL,
    networkPolicyFlavour,
    NetworkPolicyFlavour,
    outsideRanges,
    recordAt,
    shown,
    valueAt,
} from "../../sdk/model";

type Cfg = Pick<GuardConfig, "inClusterCidrs" | "allowedEgressCidrs" | "gatewayLabels" | "gatewayNamespaces">;

const WORLD = ["0.0.0.0/0", "::/0"];

/** `cidr` minus `except`, outside the in-cluster and allowed ranges: a message fragment, or undefined when inside. */
function outside(cidr: unknown, except: unknown[], cfg: Cfg): string | undefined {
    const rest = outsideCluster(String(cidr), except.map(String), cfg);
    if (rest.length === 0) return undefined;
    return rest.slice(0, 3).map(formatRange).join(", ") + (rest.length > 3 ? ", ..." : "");
}

/** Everything but `notNets`: what lies outside the cluster. */
function outsideAllBut(notNets: unknown[], cfg: Cfg): string | undefined {
    const parts = WORLD.map((w) => outside(w, notNets, cfg)).filter((x): x is string => x !== undefined);
    return parts.length > 0 ? parts.join(", ") : undefined;
}

function tryOutside(f: () => string | undefined, where: string, out: string[]): string | undefined {
    try {
        return f();
    } catch (e) {
        out.push(`${where}: ${errorMessage(e)}: fix the CIDR.`);
        return undefined;
    }
}

const HINT = "route external traffic through the egress gateway (or list a required CIDR in allowedEgressCidrs)";

// ---- Cilium ----

function ciliumSpecs(obj: unknown): { spec: unknown; path: string }[] {
    const out: { spec: unknown; path: string }[] = [];
    if (valueAt(obj, "spec") !== undefined) out.push({ spec: valueAt(obj, "spec"), path: "spec" });
    listAt(valueAt(obj, "specs")).forEach((s, i) => out.push({ spec: s, path: `specs[${i}]` }));
    return out;
}

const CILIUM_L3 = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toFQDNs", "toServices", "toGroups", "toNodes", "toRequires"];

/** A Cilium selector's labels without the `k8s:` source prefix. */
function ciliumLabels(sel: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(recordAt(recordAt(sel).matchLabels))) out[k.replace(/^(k8s|any):/, "")] = String(v);
    return out;
}

function ciliumSelectsOnlyGateway(spec: unknown, namespace: string | undefined, cfg: Cfg): boolean {
    const sel = recordAt(valueAt(spec, "endpointSelector"));
    const labels = ciliumLabels(sel);
    const ns = namespace ?? labels["io.kubernetes.pod.namespace"];
    if (!selectsOnlyGateway({ podSelector: { matchLabels: labels, matchExpressions: sel.matchExpressions } }, cfg.gatewayLabels, ns)) return false;
    return ns !== undefined && cfg.gatewayNamespaces.includes(ns) && (namespace !== undefined || labels["io.kubernetes.pod.namespace"] === ns);
}

function ciliumHoles(obj: unknown, namespace: string | undefined, cfg: Cfg): string[] {
    const out: string[] = [];
    for (const { spec, path } of ciliumSpecs(obj)) {
        const gateway = ciliumSelectsOnlyGateway(spec, namespace, cfg);
        listAt(valueAt(spec, "egress")).forEach((rule, i) => {
            const at = `${path}.egress[${i}]`;
            const r = recordAt(rule);
            const hasL3 = CILIUM_L3.some((k) => r[k] !== undefined);
            if (!hasL3) {
                if (r.toPorts !== undefined)
                    out.push(
                        `${at} has toPorts but no peer, so it allows every destination on those ports, including the internet: add toEndpoints or in-cluster toCIDR.`,
                    );
                return;
            }
            for (const e of listAt(r.toEntities)) {
                if (["world", "world-ipv4", "world-ipv6", "all"].includes(String(e)) && !gateway) {
                    out.push(`${at}.toEntities "${shown(e)}" opens the internet directly, around the egress gateway: ${HINT}.`);
                }
            }
            if (gateway) return;
            listAt(r.toCIDR).forEach((c, j) => {
                const o = tryOutside(() => outside(c, [], cfg), `${at}.toCIDR[${j}]`, out);
                if (o) out.push(`${at}.toCIDR[${j}] ${shown(c)} opens addresses outside the cluster (${o}) directly: ${HINT}.`);
            });
            listAt(r.toCIDRSet).forEach((s, j) => {
                const cidr = recordAt(s).cidr;
                if (cidr === undefined) {
                    if (recordAt(s).cidrGroupRef !== undefined || recordAt(s).cidrGroupSelector !== undefined)
                        out.push(`${at}.toCIDRSet[${j}] refers to a CiliumCIDRGroup, whose addresses the pack cannot see: list in-cluster CIDRs instead.`);
                    return;
                }
                const o = tryOutside(() => outside(cidr, listAt(recordAt(s).except), cfg), `${at}.toCIDRSet[${j}]`, out);
                if (o) out.push(`${at}.toCIDRSet[${j}] ${shown(cidr)} opens addresses outside the cluster (${o}) directly: ${HINT}.`);
            });
            if (r.toFQDNs !== undefined)
                out.push(
                    `${at}.toFQDNs lets the pods reach external hosts by name directly, around the egress gateway: only the egress gateway's pods may have FQDN egress.`,
                );
            if (r.toGroups !== undefined) out.push(`${at}.toGroups opens cloud security groups (outside the cluster) directly: ${HINT}.`);
        });
    }
    return out;
}

function ciliumDenyScope(obj: unknown): "all" | "none" {
    for (const { spec } of ciliumSpecs(obj)) {
        const sel = recordAt(valueAt(spec, "endpointSelector"));
        const everything =
            valueAt(spec, "endpointSelector") !== undefined && Object.keys(recordAt(sel.matchLabels)).length === 0 && listAt(sel.matchExpressions).length === 0;
        if (!everything) continue;
        if (recordAt(valueAt(spec, "enableDefaultDeny")).egress === false) continue;
        if (valueAt(spec, "egress") === undefined && valueAt(spec, "egressDeny") === undefined) continue;
        return "all";
    }
    return "none";
}

// ---- Calico ----

/** A Calico selector that picks exactly the gateway labels (`k == 'v' && ...`), else false. */
function calicoSelectsOnlyGateway(selector: unknown, namespace: string | undefined, cfg: Cfg): boolean {
    if (typeof selector !== "string" || namespace === undefined || !cfg.gatewayNamespaces.includes(namespace)) return false;
    const terms = new Map<string, string>();
    for (const t of selector.split("&&")) {
        const m = /^\s*([A-Za-z0-9./_-]+)\s*==\s*(['"])([^'"]*)\2\s*$/.exec(t);
        if (!m) continue;
        terms.set(m[1], m[3]);
    }
    if (/\|\||!|\bnot\b/.test(selector)) return false;
    return Object.entries(cfg.gatewayLabels).every(([k, v]) => terms.get(k) === v);
}

function calicoHoles(obj: unknown, namespace: string | undefined, cfg: Cfg): string[] {
    const out: string[] = [];
    const spec = valueAt(obj, "spec");
    if (calicoSelectsOnlyGateway(valueAt(spec, "selector"), namespace, cfg)) return out;
    listAt(valueAt(spec, "egress")).forEach((rule, i) => {
        const at = `spec.egress[${i}]`;
        if (recordAt(rule).action !== "Allow") return;
        const d = recordAt(recordAt(rule).destination);
        const peers = ["nets", "notNets", "selector", "namespaceSelector", "serviceAccounts", "services", "domains"].filter((k) => d[k] !== undefined);
        if (peers.length === 0) {
            out.push(
                `${at} is Allow with no destination peer, so it allows every destination, including the internet: give it a destination selector or in-cluster nets.`,
            );
            return;
        }
        listAt(d.nets).forEach((c, j) => {
            const o = tryOutside(() => outside(c, [], cfg), `${at}.destination.nets[${j}]`, out);
            if (o) out.push(`${at}.destination.nets[${j}] ${shown(c)} opens addresses outside the cluster (${o}) directly: ${HINT}.`);
        });
        if (d.notNets !== undefined && d.nets === undefined) {
            const o = tryOutside(() => outsideAllBut(listAt(d.notNets), cfg), `${at}.destination.notNets`, out);
            if (o) out.push(`${at}.destination.notNets allows every address but those, which includes addresses outside the cluster (${o}): ${HINT}.`);
        }
        if (d.domains !== undefined) out.push(`${at}.destination.domains lets the pods reach external hosts by name directly, around the egress gateway.`);
    });
    return out;
}

function calicoDenyScope(kind: string, obj: unknown): "all" | "none" {
    const spec = valueAt(obj, "spec");
    const sel = valueAt(spec, "selector");
    const everything = sel === undefined || sel === null || (typeof sel === "string" && (sel.trim() === "" || sel.trim() === "all()"));
    if (!everything) return "none";
    const types = listAt(valueAt(spec, "types"));
    if (!(types.includes("Egress") || (valueAt(spec, "types") === undefined && valueAt(spec, "egress") !== undefined))) return "none";
    if (kind === "GlobalNetworkPolicy") {
        const ns = valueAt(spec, "namespaceSelector");
        if (!(ns === undefined || (typeof ns === "string" && (ns.trim() === "" || ns.trim() === "all()")))) return "none";
    }
    return "all";
}

// ---- AdminNetworkPolicy / BaselineAdminNetworkPolicy ----

function anpSubjectOnlyGateway(subject: unknown, cfg: Cfg): boolean {
    const pods = recordAt(subject).pods;
    if (pods === undefined) return false;
    const ns = recordAt(recordAt(pods).namespaceSelector);
    const nsName = recordAt(ns.matchLabels)[NAMESPACE_NAME_LABEL];
    if (
        listAt(ns.matchExpressions).length > 0 ||
        Object.keys(recordAt(ns.matchLabels)).length !== 1 ||
        typeof nsName !== "string" ||
        !cfg.gatewayNamespaces.includes(nsName)
    )
        return false;
    return selectsOnlyGateway({ podSelector: recordAt(pods).podSelector }, cfg.gatewayLabels, nsName);
}

function anpHoles(obj: unknown, cfg: Cfg, baseline: boolean): string[] {
    const out: string[] = [];
    const spec = valueAt(obj, "spec");
    if (anpSubjectOnlyGateway(valueAt(spec, "subject"), cfg)) return out;
    listAt(valueAt(spec, "egress")).forEach((rule, i) => {
        const at = `spec.egress[${i}]`;
        const action = recordAt(rule).action;
        if (action !== "Allow" && action !== "Pass") return;
        const verb = baseline
            ? "opens, for every pod no NetworkPolicy selects,"
            : action === "Allow"
              ? "overrides every selected namespace's NetworkPolicies and opens"
              : "skips the lower-priority admin rules (and defers to the NetworkPolicies) for";
        listAt(recordAt(rule).to).forEach((peer, j) => {
            const p = recordAt(peer);
            listAt(p.networks).forEach((c, k) => {
                const o = tryOutside(() => outside(c, [], cfg), `${at}.to[${j}].networks[${k}]`, out);
                if (o) out.push(`${at} (${action}) ${verb} addresses outside the cluster (${o}) via to[${j}].networks ${shown(c)}: ${HINT}.`);
            });
            if (p.domainNames !== undefined) out.push(`${at} (${action}) ${verb} external hosts by name (to[${j}].domainNames), around the egress gateway.`);
        });
    });
    return out;
}

function anpDenyScope(obj: unknown, cfg: Cfg): "all" | "none" {
    const spec = valueAt(obj, "spec");
    const ns = recordAt(valueAt(spec, "subject")).namespaces;
    if (ns === undefined || Object.keys(recordAt(recordAt(ns).matchLabels)).length > 0 || listAt(recordAt(ns).matchExpressions).length > 0) return "none";
    for (const rule of listAt(valueAt(spec, "egress"))) {
        if (recordAt(rule).action !== "Deny") continue;
        const nets = listAt(recordAt(rule).to)
            .flatMap((p) => listAt(recordAt(p).networks))
            .map(String);
        if (listAt(recordAt(rule).ports).length > 0) continue;
        try {
            if (WORLD.every((w) => outsideRanges(w, nets, [...cfg.inClusterCidrs, ...cfg.allowedEgressCidrs]).length === 0)) return "all";
        } catch {
            /* a malformed CIDR is reported by the hole check */
        }
    }
    return "none";
}

// ---- all flavours ----

/** What a network policy of any flavour opens outside the cluster for pods other than the egress gateway. */
export function egressHoles(group: string, kind: string, obj: unknown, namespace: string | undefined, cfg: Cfg): string[] {
    switch (networkPolicyFlavour(group, kind)) {
        case "kubernetes":
            if (namespace !== undefined && cfg.gatewayNamespaces.includes(namespace) && selectsOnlyGateway(valueAt(obj, "spec"), cfg.gatewayLabels, namespace))
                return [];
            return networkPolicyHoles(valueAt(obj, "spec"), cfg as GuardConfig);
        case "cilium":
            return ciliumHoles(obj, namespace, cfg);
        case "calico":
            return calicoHoles(obj, namespace, cfg);
        case "anp":
            return anpHoles(obj, cfg, false);
        case "banp":
            return anpHoles(obj, cfg, true);
        default:
            return [];
    }
}

/**
 * Whether this policy makes every pod of its namespace (`"namespace"`), of every namespace (`"cluster"`), or no
 * namespace as a whole (`"none"`) default-deny for egress, opening nothing outside the cluster.
 */
export function defaultDenyScope(group: string, kind: string, obj: unknown, cfg: Cfg): "namespace" | "cluster" | "none" {
    const flavour: NetworkPolicyFlavour | undefined = networkPolicyFlavour(group, kind);
    const clusterWide = kind === "CiliumClusterwideNetworkPolicy" || kind === "GlobalNetworkPolicy" || flavour === "anp" || flavour === "banp";
    let scope: "all" | "none" = "none";
    switch (flavour) {
        case "kubernetes": {
            const spec = valueAt(obj, "spec");
            const sel = valueAt(spec, "podSelector");
            const empty =
                sel === undefined || sel === null || (Object.keys(recordAt(sel, "matchLabels")).length === 0 && listAt(sel, "matchExpressions").length === 0);
            scope = empty && listAt(valueAt(spec, "policyTypes")).includes("Egress") ? "all" : "none";
            break;
        }
        case "cilium":
            scope = ciliumDenyScope(obj);
            break;
        case "calico":
            scope = calicoDenyScope(kind, obj);
            break;
        case "anp":
        case "banp":
            scope = anpDenyScope(obj, cfg);
            break;
    }
    if (scope === "none") return "none";
    // A default-deny that opens the outside is none (the hole itself is reported by no-external-egress-networkpolicy).
    if (egressHoles(group, kind, obj, undefined, { ...cfg, gatewayNamespaces: [] }).length > 0 && flavour !== "anp" && flavour !== "banp") return "none";
    return clusterWide ? "cluster" : "namespace";
}

/** A Kubernetes NetworkPolicy that isolates the pods it selects for egress (for the per-workload check). */
export function isEgressIsolating(spec: unknown): boolean {
    return hasEgressType(spec);
}
