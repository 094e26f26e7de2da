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
import { endpointAddresses, shown, str, valueAt } from "../../sdk/model";

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

/** The addresses of an `Endpoints` or `EndpointSlice` (or a List of them) that lead outside the cluster, or that the pack cannot read. */
export function externalEndpointProblems(
    kind: string,
    group: string,
    obj: unknown,
    cfg: Pick<GuardConfig, "inClusterCidrs" | "allowedEgressCidrs"> & Partial<Pick<GuardConfig, "exemptNamespaces">>,
    name = str(valueAt(obj, "metadata", "name")) ?? "?",
): string[] {
    const exempt = cfg.exemptNamespaces ?? [];
    const out: string[] = [];
    for (const a of endpointAddresses(kind, group, obj)) {
        // A `...List` resource (kubernetes:core/v1:EndpointsList, kubernetes:discovery.k8s.io/v1:EndpointSliceList):
        // each item as the object it creates; an item in an exempt namespace (the operator's config) is skipped like the object.
        if (a.item?.namespace !== undefined && exempt.includes(a.item.namespace)) continue;
        const n = a.item ? (a.item.name ?? `items[${a.item.index}]`) : name;
        const own = a.kind === "Endpoints" ? `Endpoints ${n} (of the Service ${n})` : `EndpointSlice ${n}${a.service ? ` (of the Service ${a.service})` : ""}`;
        const what = a.ofList ? `${kind} ${name}` : a.item ? `${kind} ${name}, ${own}` : own;
        if (a.unreadable === "a list") {
            out.push(
                `${what}: ${a.where} is ${shown(a.value)}, not a list, so the pack cannot tell which addresses it holds (judged as outside the cluster): fix it.`,
            );
        } else if (a.unreadable === "an object") {
            out.push(
                `${what}: ${a.where} is ${shown(a.value)}, not an object, so the pack cannot tell which address it holds (judged as outside the cluster): fix it.`,
            );
        } else {
            out.push(...addressProblem(a.value, a.where, what, cfg));
        }
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
