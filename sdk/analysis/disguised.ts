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
import {
    endpointAddresses,
    groupOfApiVersion,
    leadsOutsideCluster,
    listAt,
    serviceEntryOutside,
    shown,
    valueAt,
    type EndpointAddress,
    type InClusterRanges,
    type K8sObject,
} from "../model/index.js";
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

/** The object (or List item) an address belongs to, as the findings name it. */
function holder(o: K8sObject, a: EndpointAddress): string {
    if (!a.item) return `${o.kind} ${id(o)}`;
    return `${o.kind} ${id(o)}, ${a.kind} ${a.item.namespace ?? ns(o)}/${a.item.name ?? `items[${a.item.index}]`}`;
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
        for (const a of endpointAddresses(o.kind, groupOfApiVersion(String(o.apiVersion ?? "")), o)) {
            if (!a.unreadable && !outsideAddress(a.value, ranges)) continue;
            const what = a.unreadable
                ? `is not ${a.unreadable} (judged as outside the cluster)`
                : typeof a.value === "string" && isIP(a.value) !== 0
                  ? "is outside the cluster"
                  : "is not an IP address (judged as outside the cluster)";
            const namespace = a.item?.namespace ?? ns(o);
            critical(
                `${holder(o, a)}${a.service ? ` (of the Service ${namespace}/${a.service})` : ""}: ${a.where} ${shown(a.value)} ${what}: the report takes the Service for an in-cluster one, but ${BYPASS}; seen by ${everyPod(inv)}`,
            );
        }
    }
    return findings;
}
