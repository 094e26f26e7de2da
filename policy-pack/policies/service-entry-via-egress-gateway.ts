/** Policy `service-entry-via-egress-gateway`: its rule (pure functions over Kubernetes objects) next to its declaration. */
import { GuardConfig } from "../lib/config";
import { stackPolicy, ROUTING_KINDS } from "../lib/policy";
import { ISTIO_NET, leadsOutsideCluster, StackFinding, StackObject, GatewayFacts, gatewayFacts, selectsEgressGateway } from "../lib/facts";
import { fqdn, hostCovers, isExternalServiceEntry, isWorkloadKind, listAt, recordAt, str, stringAt, valueAt, CLUSTER_DOMAIN } from "../../sdk/model";

/** A ServiceEntry, or a Service of type ExternalName judged as one (with the external name it points at). */
type RoutedObject = StackObject & { externalName?: string };

interface RouteBlock {
    gateways: string[];
    destinations: string[];
    vsNamespace: string;
}

function routeBlocks(vs: StackObject): { hosts: string[]; blocks: RouteBlock[]; exportTo: string[] | undefined } {
    const spec = valueAt(vs.props, "spec");
    const ns = vs.namespace ?? "default";
    const vsGateways = listAt(spec, "gateways").map(String);
    const defaultGateways = vsGateways.length > 0 ? vsGateways : ["mesh"];
    const blocks: RouteBlock[] = [];
    for (const field of ["http", "tls", "tcp"]) {
        for (const r of listAt(spec, field)) {
            const matches = listAt(r, "match");
            const gateways = new Set<string>();
            if (matches.length === 0) defaultGateways.forEach((g) => gateways.add(g));
            for (const m of matches) {
                const mg = listAt(m, "gateways").map(String);
                (mg.length > 0 ? mg : defaultGateways).forEach((g) => gateways.add(g));
            }
            const destinations = listAt(r, "route")
                .map((d) => str(valueAt(d, "destination", "host")))
                .filter((h): h is string => !!h);
            blocks.push({ gateways: [...gateways], destinations, vsNamespace: ns });
        }
    }
    // exportTo: where sidecars see this VirtualService ("." is its own namespace; empty or "*" is everywhere).
    const exportTo = listAt(spec, "exportTo").map((e) => (String(e) === "." ? ns : String(e)));
    return { hosts: listAt(spec, "hosts").map(String), blocks, exportTo: exportTo.length === 0 || exportTo.includes("*") ? undefined : exportTo };
}

/** Is a VirtualService exported to at least every namespace the ServiceEntry is exported to? */
function seenWherever(vsExportTo: string[] | undefined, seExportTo: string[] | undefined): boolean {
    if (vsExportTo === undefined) return true;
    if (seExportTo === undefined) return false;
    return seExportTo.every((n) => vsExportTo.includes(n));
}

function waypointLabel(labels: unknown): boolean {
    const v = str(recordAt(labels)["istio.io/use-waypoint"]);
    return v !== undefined && v !== "none";
}

const GATEWAY_API = "gateway.networking.k8s.io";
const GATEWAY_API_ROUTES = new Set(["HTTPRoute", "TLSRoute", "TCPRoute", "GRPCRoute"]);

interface GatewayApiRoute {
    namespace: string;
    parents: { group: string; kind: string; namespace: string; name: string }[];
    backends: { group: string; kind: string; namespace: string; name: string }[];
}

/** Gateway API routes (Istio's GAMMA egress pattern): parents and backends with defaults filled in. */
function gatewayApiRoutes(objects: StackObject[]): GatewayApiRoute[] {
    return objects
        .filter((o) => o.group === GATEWAY_API && GATEWAY_API_ROUTES.has(o.kind) && !o.patch)
        .map((o) => {
            const ns = o.namespace ?? "default";
            const ref = (r: unknown, defKind: string, defGroup: string) => ({
                group: str(valueAt(r, "group")) ?? defGroup,
                kind: str(valueAt(r, "kind")) ?? defKind,
                namespace: str(valueAt(r, "namespace")) ?? ns,
                // A name that is not a string (the API server refuses it) names no object here: it attaches to nothing.
                name: stringAt(r, "name") ?? "",
            });
            return {
                namespace: ns,
                parents: listAt(o.props, "spec", "parentRefs").map((r) => ref(r, "Gateway", GATEWAY_API)),
                backends: listAt(o.props, "spec", "rules").flatMap((rule) => listAt(rule, "backendRefs").map((r) => ref(r, "Service", ""))),
            };
        });
}

function gatewayRef(ref: string, vsNamespace: string): { namespace: string; name: string } {
    const i = ref.indexOf("/");
    return i >= 0 ? { namespace: ref.slice(0, i), name: ref.slice(i + 1) } : { namespace: vsNamespace, name: ref };
}

// The ServiceEntry judgement is sdk/model/outside.ts's, shared with the access report.
export { isExternalServiceEntry };

/** `ExternalName` Services whose name points outside the cluster, as pseudo ServiceEntries for their Service host. */
function externalNameEntries(objects: StackObject[], cfg: GuardConfig): RoutedObject[] {
    const out: RoutedObject[] = [];
    for (const o of objects) {
        if (o.kind !== "Service" || o.group !== "" || o.patch || o.namespace === undefined) continue;
        const spec = valueAt(o.props, "spec");
        const externalName = valueAt(spec, "externalName");
        if (valueAt(spec, "type") !== "ExternalName" || typeof externalName !== "string" || !leadsOutsideCluster(externalName, cfg)) continue;
        const host = `${o.name}.${o.namespace}.svc.${CLUSTER_DOMAIN}`;
        out.push({ ...o, kind: "ServiceEntry", group: ISTIO_NET, props: { metadata: valueAt(o.props, "metadata"), spec: { hosts: [host] } }, externalName });
    }
    return out;
}

/**
 * Every MESH_EXTERNAL ServiceEntry host visible outside the gateway's namespaces must be routed through the egress
 * gateway: a mesh leg (a route block bound to `mesh` whose destination is the gateway's Service) and a gateway leg
 * (a block bound to an egress Gateway whose destination is the host itself, or for a wildcard a concrete host).
 */
export function serviceEntryRoutingFindings(objects: StackObject[], cfg: GuardConfig, facts: GatewayFacts): StackFinding[] {
    const egressGateways = new Set<string>();
    const otherGateways = new Set<string>();
    for (const o of objects) {
        if (o.kind === "Gateway" && o.group === "networking.istio.io" && !o.patch) {
            const key = `${o.namespace}/${o.name}`;
            if (selectsEgressGateway(valueAt(o.props, "spec", "selector"), cfg.gatewayLabels, facts.labelSets)) egressGateways.add(key);
            else otherGateways.add(key);
        }
    }
    const isEgressGatewayRef = (ref: string, vsNs: string): boolean => {
        if (ref === "mesh") return false;
        const { namespace, name } = gatewayRef(ref, vsNs);
        const key = `${namespace}/${name}`;
        if (egressGateways.has(key)) return true;
        // A Gateway defined outside this stack: trust it when it lives in a gateway namespace.
        return !otherGateways.has(key) && facts.namespaces.has(namespace);
    };

    const routes = objects.filter((o) => o.kind === "VirtualService" && o.group === "networking.istio.io" && !o.patch).map(routeBlocks);
    // Ambient: a namespace labelled istio.io/use-waypoint sends its ServiceEntries' traffic through that waypoint.
    const waypointNamespaces = new Set(
        objects.filter((o) => o.kind === "Namespace" && !o.patch && waypointLabel(valueAt(o.props, "metadata", "labels"))).map((o) => o.name),
    );
    // VirtualServices by exact host; wildcard (or `*`) hosts are checked against every ServiceEntry host.
    const exactRoutes = new Map<string, ReturnType<typeof routeBlocks>[]>();
    const wildcardRoutes: ReturnType<typeof routeBlocks>[] = [];
    for (const r of routes) {
        if (r.hosts.some((h) => h.includes("*"))) wildcardRoutes.push(r);
        for (const h of r.hosts.filter((x) => !x.includes("*"))) {
            const list = exactRoutes.get(h) ?? [];
            list.push(r);
            exactRoutes.set(h, list);
        }
    }
    const routesFor = (host: string) => {
        const found = new Set(exactRoutes.get(host) ?? []);
        for (const r of wildcardRoutes) if (r.hosts.some((h) => hostCovers(h, host))) found.add(r);
        return found;
    };
    const gaRoutes = gatewayApiRoutes(objects);
    const gatewayApiGateways = objects
        .filter((o) => o.group === GATEWAY_API && o.kind === "Gateway" && !o.patch)
        .map((o) => ({ namespace: o.namespace ?? "default", name: o.name }));
    const exempt = new Set(cfg.exemptNamespaces);
    const out: StackFinding[] = [];
    const entries: RoutedObject[] = [...objects, ...externalNameEntries(objects, cfg)];
    for (const se of entries) {
        if (se.kind !== "ServiceEntry" || se.group !== "networking.istio.io" || se.patch) continue;
        const ns = se.namespace ?? "default";
        if (exempt.has(ns)) continue;
        const spec = valueAt(se.props, "spec");
        const externalName = se.externalName;
        if (externalName === undefined && !isExternalServiceEntry(spec, cfg)) continue;
        if (waypointLabel(valueAt(se.props, "metadata", "labels")) || waypointNamespaces.has(ns)) continue;
        const exportTo = listAt(spec, "exportTo").map(String);
        if (exportTo.length > 0 && exportTo.every((e) => facts.namespaces.has(e === "." ? ns : e))) continue;
        const seExport = exportTo.length === 0 || exportTo.includes("*") ? undefined : exportTo.map((e) => (e === "." ? ns : e));
        for (const host of listAt(spec, "hosts").map(String)) {
            const wildcard = host.includes("*");
            let meshLeg = false;
            let gatewayLeg = false;
            for (const r of routesFor(host)) {
                for (const b of r.blocks) {
                    if (
                        b.gateways.includes("mesh") &&
                        seenWherever(r.exportTo, seExport) &&
                        b.destinations.some((d) => facts.serviceHosts.has(fqdn(d, b.vsNamespace)))
                    ) {
                        meshLeg = true;
                    }
                    if (b.gateways.some((g) => isEgressGatewayRef(g, b.vsNamespace))) {
                        const ok = b.destinations.some((d) => (wildcard ? !d.includes("*") && !facts.serviceHosts.has(fqdn(d, b.vsNamespace)) : d === host));
                        if (ok) gatewayLeg = true;
                    }
                }
            }
            // Gateway API: a route attached to the ServiceEntry sending it to a Gateway's Service, and a route on that
            // Gateway forwarding to the host (a Hostname or the ServiceEntry).
            for (const gw of gatewayApiGateways) {
                const toGateway = gaRoutes.some(
                    (r) =>
                        r.parents.some((p) => p.group === ISTIO_NET && p.kind === "ServiceEntry" && p.namespace === ns && p.name === se.name) &&
                        r.backends.some((b) => b.group === "" && b.kind === "Service" && b.namespace === gw.namespace && b.name === `${gw.name}-istio`),
                );
                const onGateway = gaRoutes.some(
                    (r) =>
                        r.parents.some((p) => p.group === GATEWAY_API && p.kind === "Gateway" && p.namespace === gw.namespace && p.name === gw.name) &&
                        r.backends.some(
                            (b) =>
                                b.group === ISTIO_NET &&
                                ((b.kind === "Hostname" && (wildcard ? !b.name.includes("*") : b.name === host)) ||
                                    (b.kind === "ServiceEntry" && b.namespace === ns && b.name === se.name && !wildcard)),
                        ),
                );
                if (toGateway) meshLeg = true;
                if (toGateway && onGateway) gatewayLeg = true;
            }
            if (meshLeg && gatewayLeg) continue;
            if (externalName !== undefined) {
                out.push({
                    urn: se.urn,
                    message: `Service ${se.name} is type ExternalName for "${externalName}", outside the cluster: sidecars connect to it directly, not through the egress gateway; replace it with a ServiceEntry routed through the gateway (or route "${host}" through it with a VirtualService).`,
                });
                continue;
            }
            const missing =
                !meshLeg && !gatewayLeg
                    ? "no VirtualService routes it"
                    : !meshLeg
                      ? "no VirtualService sends it from the mesh to the egress gateway's Service"
                      : "no VirtualService bound to the egress Gateway forwards it to the host";
            out.push({
                urn: se.urn,
                message: `ServiceEntry host "${host}" is MESH_EXTERNAL and exported beyond the gateway's namespace, but ${missing}, so sidecars reach it directly: add a VirtualService for "${host}" with a mesh leg to ${[...facts.serviceHosts][0] ?? "the egress gateway's Service"} and a leg on the egress Gateway to ${wildcard ? "a concrete upstream host" : `"${host}"`} (or set exportTo to the gateway's namespace).`,
            });
        }
    }
    return out;
}

export const serviceEntryViaEgressGateway = stackPolicy({
    name: "service-entry-via-egress-gateway",
    appliesTo: (k) => ROUTING_KINDS.has(k) || isWorkloadKind(k),
    subjects: (k) => k === "ServiceEntry",
    description: "Every external (MESH_EXTERNAL) ServiceEntry host must be routed through the egress gateway by a VirtualService.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a VirtualService for the host with a `mesh` leg to the egress gateway's Service and a leg bound to the egress Gateway that forwards to the host; or export the ServiceEntry to the gateway's namespace only.",
    config: [
        "exemptNamespaces",
        "gatewayNamespaces",
        "gatewayLabels",
        "gatewayServiceHosts",
        "discoverGatewayNamespaces",
        "inClusterCidrs",
        "allowedEgressCidrs",
    ],
    configDefaults: { exemptNamespaces: [] },
    check: (objects, cfg) => serviceEntryRoutingFindings(objects, cfg, gatewayFacts(objects, cfg)),
});
