/**
 * Policy `no-external-service-endpoints`: its rule (pure functions over Kubernetes objects) next to its declaration.
 *
 * A Service without a selector plus hand-written `Endpoints` (core/v1) or an `EndpointSlice` (discovery.k8s.io)
 * listing an address outside the cluster makes an external destination an ordinary mesh service. istiod builds the
 * Service's endpoints from every EndpointSlice labelled `kubernetes.io/service-name: <service>` (and not
 * `multicluster.kubernetes.io/service-name`), whoever wrote it: each address becomes an endpoint as it is, a
 * `targetRef` to a Pod only adds that pod's metadata (pilot/pkg/serviceregistry/kube/controller/endpointslice.go,
 * `updateEndpointCacheForSlice`, `getPod`; ambient: pilot/pkg/serviceregistry/ambient/workloads.go,
 * `endpointSlicesBuilder`). The host is in the
 * registry, so REGISTRY_ONLY lets it through, and the sidecar connects to that address directly, not through the
 * egress gateway. istiod no longer reads Endpoints, but the API server's endpointslicemirroring controller mirrors a
 * selector-less Service's Endpoints into such slices, `notReadyAddresses` included
 * (k8s.io/kubernetes pkg/controller/endpointslicemirroring/endpointslicemirroring_controller.go, reconciler.go).
 *
 * Judged whatever the object's labels (`kubernetes.io/service-name`, `endpointslice.kubernetes.io/managed-by`,
 * `endpointslice.kubernetes.io/skip-mirror`) or its Service's selector say: every one of them is written by the
 * manifest's author or changed later out of band. The slices the endpointslice controller manages for a Service with
 * a selector are created in the cluster and never part of a stack, so an EndpointSlice in a stack is authored,
 * whatever its `managed-by` label claims. Only the operator's config exempts an address (`inClusterCidrs`,
 * `allowedEgressCidrs`) or an object (`exemptNamespaces`, `exemptObjects`).
 *
 * Not judged: an EndpointSlice with `addressType: FQDN`, which both istiod's kube registry and ambient skip (same
 * files; istio/istio#34995) and kube-proxy ignores: no proxy sends traffic to its addresses. Any other addressType
 * (misspelt, missing, not a string) is judged as an IP slice.
 *
 * A resource policy, not part of service-entry-via-egress-gateway (a stack rule, judged after the stack's resources
 * exist): the verdict needs nothing but the object, and a resource policy stops it before it reaches the cluster.
 */
import { isIP } from "net";
import { GuardConfig } from "../lib/config";
import { leadsOutsideCluster } from "../lib/facts";
import { resourcePolicy } from "../lib/policy";
import { isRecord, shown, str, valueAt } from "../../sdk/model";

const DISCOVERY = "discovery.k8s.io";

/** One address field: a problem when it is not an IP (wrong type, a name: the API server refuses both) or leads outside. */
function addressProblem(address: unknown, where: string, what: string, cfg: Pick<GuardConfig, "inClusterCidrs" | "allowedEgressCidrs">): string[] {
    const fix = `declare the destination as a ServiceEntry routed through the egress gateway instead`;
    if (typeof address !== "string" || isIP(address) === 0) {
        return [
            `${what}: ${where} is ${shown(address)}, not an IP address, so the pack cannot tell where it leads (judged as outside the cluster): list only in-cluster IP addresses, or ${fix}.`,
        ];
    }
    if (!leadsOutsideCluster(address, cfg)) return [];
    return [
        `${what}: ${where} ${address} is outside the cluster: Istio registers the Service as a mesh service with this endpoint (REGISTRY_ONLY lets it through) and sidecars connect to ${address} directly, not through the egress gateway; remove it and ${fix} (if the address is inside the cluster, add its range to inClusterCidrs).`,
    ];
}

/** A list field that must be a list when set: absent reads as empty; any other type is one problem (fail closed). */
function listOrProblem(v: unknown, where: string, what: string, out: string[]): unknown[] {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v as unknown[];
    out.push(`${what}: ${where} is ${shown(v)}, not a list, so the pack cannot tell which addresses it holds (judged as outside the cluster): fix it.`);
    return [];
}

/** An item that must be an object: anything else is one problem (fail closed). */
function recordOrProblem(v: unknown, where: string, what: string, out: string[]): v is Record<string, unknown> {
    if (isRecord(v)) return true;
    out.push(`${what}: ${where} is ${shown(v)}, not an object, so the pack cannot tell which address it holds (judged as outside the cluster): fix it.`);
    return false;
}

/** The addresses of an `Endpoints` or `EndpointSlice` that lead outside the cluster, or that the pack cannot read. */
export function externalEndpointProblems(
    kind: string,
    group: string,
    obj: unknown,
    cfg: Pick<GuardConfig, "inClusterCidrs" | "allowedEgressCidrs"> & Partial<Pick<GuardConfig, "exemptNamespaces">>,
    name = str(valueAt(obj, "metadata", "name")) ?? "?",
): string[] {
    const out: string[] = [];
    // A `...List` resource (kubernetes:core/v1:EndpointsList, kubernetes:discovery.k8s.io/v1:EndpointSliceList): each
    // item as the object it creates; an item in an exempt namespace (the operator's config) is skipped like the object.
    if ((kind === "EndpointsList" && group === "") || (kind === "EndpointSliceList" && group === DISCOVERY)) {
        const exempt = cfg.exemptNamespaces ?? [];
        listOrProblem(valueAt(obj, "items"), "items", `${kind} ${name}`, out).forEach((item, i) => {
            if (!recordOrProblem(item, `items[${i}]`, `${kind} ${name}`, out)) return;
            const ns = str(valueAt(item, "metadata", "namespace"));
            if (ns !== undefined && exempt.includes(ns)) return;
            const itemName = str(valueAt(item, "metadata", "name")) ?? `items[${i}]`;
            out.push(...externalEndpointProblems(kind.slice(0, -"List".length), group, item, cfg, itemName).map((m) => `${kind} ${name}, ${m}`));
        });
    } else if (kind === "Endpoints" && group === "") {
        const what = `Endpoints ${name} (of the Service ${name})`;
        listOrProblem(valueAt(obj, "subsets"), "subsets", what, out).forEach((subset, i) => {
            if (!recordOrProblem(subset, `subsets[${i}]`, what, out)) return;
            // notReadyAddresses too: the mirroring controller copies them (ready: false), and a Service publishing
            // not-ready addresses, or Istio's unhealthy-endpoint support, sends traffic to them.
            for (const field of ["addresses", "notReadyAddresses"]) {
                listOrProblem(subset[field], `subsets[${i}].${field}`, what, out).forEach((a, j) => {
                    const where = `subsets[${i}].${field}[${j}]`;
                    if (recordOrProblem(a, where, what, out)) out.push(...addressProblem(a.ip, `${where}.ip`, what, cfg));
                });
            }
        });
    } else if (kind === "EndpointSlice" && group === DISCOVERY) {
        // Istio skips FQDN slices (see the module comment); only the exact value the API server accepts counts.
        if (valueAt(obj, "addressType") === "FQDN") return [];
        const service = str(valueAt(obj, "metadata", "labels", "kubernetes.io/service-name"));
        const what = `EndpointSlice ${name}${service ? ` (of the Service ${service})` : ""}`;
        listOrProblem(valueAt(obj, "endpoints"), "endpoints", what, out).forEach((e, i) => {
            if (!recordOrProblem(e, `endpoints[${i}]`, what, out)) return;
            listOrProblem(e.addresses, `endpoints[${i}].addresses`, what, out).forEach((a, j) => {
                out.push(...addressProblem(a, `endpoints[${i}].addresses[${j}]`, what, cfg));
            });
        });
    }
    return out;
}

export const noExternalServiceEndpoints = resourcePolicy({
    name: "no-external-service-endpoints",
    appliesTo: (k) => k === "Endpoints" || k === "EndpointSlice" || k === "EndpointsList" || k === "EndpointSliceList",
    description:
        "Endpoints and EndpointSlices must not list addresses outside the cluster (a Service that sidecars reach directly, bypassing the egress gateway).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Remove the external address; declare the destination as a ServiceEntry routed through the egress gateway. If the address is inside the cluster, add its range to inClusterCidrs.",
    config: ["exemptNamespaces", "inClusterCidrs", "allowedEgressCidrs"],
    configDefaults: { exemptNamespaces: [] },
    scopeByNamespace: "exempt-only",
    check: (o, cfg) => externalEndpointProblems(o.kind, o.group, o.props, cfg, o.name),
});
