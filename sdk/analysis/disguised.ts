/**
 * External destinations dressed as in-cluster ones: objects whose host the report would otherwise take for an
 * in-cluster Service (`path.ts` reports a route to any cluster Service as `in-cluster`; `inventory.ts` collects only
 * `MESH_EXTERNAL` ServiceEntries as external hosts), while the traffic really leaves the cluster directly, around
 * the egress gateway:
 * - a `Service` of type `ExternalName` whose name is outside the cluster (cluster DNS answers with a CNAME);
 * - a ServiceEntry whose `location` is not `MESH_EXTERNAL` but whose endpoints, addresses or hosts lead outside;
 * - hand-written `Endpoints` / `EndpointSlice`s (the Service's, by name or `kubernetes.io/service-name`) listing an
 *   address outside the cluster (kube-proxy and the sidecar both send the Service's traffic there).
 * Each is a critical finding (the report's verdict fails), naming the object, the outside address and who sees it.
 * Where an address leads is sdk/model/outside.ts's judgement, the policy pack's own.
 */
import { isIP } from "net";
import { isRecord, leadsOutsideCluster, listAt, serviceEntryOutside, shown, stringAt, valueAt, type InClusterRanges, type K8sObject } from "../model/index.js";
import { exportedTo, exportText, id, ns } from "./config.js";
import type { Inventory } from "./inventory.js";
import type { AccessSource, Finding } from "./types.js";

const BYPASS = "the pod (or its sidecar) connects there directly, not through the egress gateway (neither its AuthorizationPolicies nor its access log see it)";

/** Every pod sees a Service: cluster DNS and kube-proxy answer every namespace, whatever Istio's exportTo says. */
function everyPod(inv: Inventory): string {
    return `every pod in the cluster (Kubernetes DNS and kube-proxy answer every namespace, whatever Istio's exportTo says)${sourcesText(inv.sources)}`;
}

function sourcesText(sources: AccessSource[]): string {
    if (sources.length === 0) return "";
    const names = sources.map((s) => `${s.namespace}/${s.serviceAccount}${s.workload ? ` (${s.workload})` : ""}`);
    const shownNames = names.slice(0, 8).join(", ") + (names.length > 8 ? `, and ${names.length - 8} more` : "");
    return `; sources among the objects: ${shownNames}`;
}

/** Who sees a ServiceEntry: its exportTo (or the mesh default), and the report's sources there. */
function entryAudience(inv: Inventory, se: K8sObject): string {
    const exp = exportText(se, inv.options.exportDefaults.service);
    const sources = inv.sources.filter((s) => s.sidecar !== false && exportedTo(se, s.namespace, inv.options.exportDefaults.service));
    if (exp.split(",").includes("*")) return `every sidecar in the mesh${sourcesText(sources)}`;
    return `the sidecars of the namespaces it is exported to (${exp})${sourcesText(sources)}`;
}

/** An address of an Endpoints / EndpointSlice: outside unless an IP address in the in-cluster ranges (fail closed). */
function outsideAddress(v: unknown, ranges: InClusterRanges): boolean {
    return typeof v !== "string" || isIP(v) === 0 || leadsOutsideCluster(v, ranges);
}

/** A list field as written: absent reads as empty; anything else that is not a list is one unreadable value. */
function listOrValue(v: unknown): unknown[] {
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? (v as unknown[]) : [v];
}

interface EndpointAddress {
    object: string;
    namespace: string;
    service?: string;
    where: string;
    value: unknown;
}

/** The addresses of an Endpoints or EndpointSlice (each with where it sits), items of a `...List` included. */
function endpointAddresses(o: K8sObject): EndpointAddress[] {
    const out: EndpointAddress[] = [];
    const walk = (kind: string, item: unknown, object: string) => {
        const namespace = stringAt(item, "metadata", "namespace") ?? ns(o);
        if (kind === "Endpoints") {
            const service = stringAt(item, "metadata", "name");
            listOrValue(valueAt(item, "subsets")).forEach((subset, i) => {
                if (!isRecord(subset)) {
                    out.push({ object, namespace, service, where: `subsets[${i}]`, value: subset });
                    return;
                }
                for (const field of ["addresses", "notReadyAddresses"]) {
                    listOrValue(subset[field]).forEach((a, j) =>
                        out.push({ object, namespace, service, where: `subsets[${i}].${field}[${j}].ip`, value: isRecord(a) ? a.ip : a }),
                    );
                }
            });
        } else {
            // Istio and kube-proxy skip FQDN slices (policy-pack/policies/no-external-service-endpoints.ts).
            if (valueAt(item, "addressType") === "FQDN") return;
            const service = stringAt(item, "metadata", "labels", "kubernetes.io/service-name");
            listOrValue(valueAt(item, "endpoints")).forEach((e, i) => {
                if (!isRecord(e)) {
                    out.push({ object, namespace, service, where: `endpoints[${i}]`, value: e });
                    return;
                }
                listOrValue(e.addresses).forEach((a, j) => out.push({ object, namespace, service, where: `endpoints[${i}].addresses[${j}]`, value: a }));
            });
        }
    };
    const apiVersion = String(o.apiVersion ?? "");
    const core = apiVersion === "v1";
    const discovery = apiVersion.startsWith("discovery.k8s.io/");
    if ((o.kind === "Endpoints" && core) || (o.kind === "EndpointSlice" && discovery)) {
        walk(o.kind, o, `${o.kind} ${id(o)}`);
    } else if ((o.kind === "EndpointsList" && core) || (o.kind === "EndpointSliceList" && discovery)) {
        const kind = o.kind.slice(0, -"List".length);
        listOrValue(valueAt(o, "items")).forEach((item, i) => {
            const name = stringAt(item, "metadata", "name") ?? `items[${i}]`;
            walk(kind, item, `${o.kind} ${id(o)}, ${kind} ${stringAt(item, "metadata", "namespace") ?? ns(o)}/${name}`);
        });
    }
    return out;
}

/** The critical findings for external destinations dressed as in-cluster ones (see the module comment). */
export function disguisedExternalFindings(inv: Inventory): Finding[] {
    const ranges: InClusterRanges = { inClusterCidrs: inv.options.inClusterCidrs, allowedEgressCidrs: [] };
    const findings: Finding[] = [];
    const critical = (message: string) => findings.push({ severity: "critical", message });
    for (const svc of inv.services) {
        const externalName = valueAt(svc.spec, "externalName");
        if (valueAt(svc.spec, "type") !== "ExternalName" || !leadsOutsideCluster(externalName, ranges)) continue;
        critical(
            `Service ${id(svc)} is type ExternalName for ${shown(externalName)}, outside the cluster: the report takes its host ${svc.metadata?.name}.${ns(svc)}.svc.cluster.local for an in-cluster Service, but DNS answers with ${shown(externalName)} and ${BYPASS}; seen by ${everyPod(inv)}`,
        );
    }
    for (const se of inv.serviceEntries) {
        const location = valueAt(se.spec, "location") ?? "MESH_EXTERNAL";
        // MESH_EXTERNAL entries are the report's external hosts; any other location is taken as in the mesh.
        if (location === "MESH_EXTERNAL") continue;
        const outside = serviceEntryOutside(se.spec, ranges);
        if (outside.length === 0) continue;
        critical(
            `ServiceEntry ${id(se)} has location ${shown(location)}, but leads outside the cluster (${outside.map(shown).join(", ")}): the report does not take its hosts (${listAt(se.spec, "hosts").map(shown).join(", ")}) for external hosts, and ${BYPASS}; seen by ${entryAudience(inv, se)}`,
        );
    }
    for (const o of inv.objects) {
        for (const a of endpointAddresses(o).filter((x) => outsideAddress(x.value, ranges))) {
            const what = typeof a.value === "string" && isIP(a.value) !== 0 ? "is outside the cluster" : "is not an IP address (judged as outside the cluster)";
            critical(
                `${a.object}${a.service ? ` (of the Service ${a.namespace}/${a.service})` : ""}: ${a.where} ${shown(a.value)} ${what}: the report takes the Service for an in-cluster one, but ${BYPASS}; seen by ${everyPod(inv)}`,
            );
        }
    }
    return findings;
}
