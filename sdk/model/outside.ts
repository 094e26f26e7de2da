/**
 * Where an address or a ServiceEntry leads: inside the cluster, or outside it. The one copy of this judgement,
 * shared by the policy pack (service-entry-via-egress-gateway, no-external-service-endpoints) and the access
 * report (sdk/analysis/disguised.ts), so the two never disagree on what is external.
 */
import { isIP } from "net";
import { CLUSTER_DOMAIN } from "./hosts";
import { outsideRanges } from "./net";
import { listAt, valueAt } from "./read";

/** RFC 1918, RFC 6598 (100.64.0.0/10) and IPv6 unique-local: where pod, service and node ranges live. */
export const DEFAULT_IN_CLUSTER_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"];

/** The ranges that count as inside the cluster (the pack's `inClusterCidrs`) and those opened on purpose (`allowedEgressCidrs`). */
export interface InClusterRanges {
    inClusterCidrs: readonly string[];
    allowedEgressCidrs: readonly string[];
}

/** A cluster-local name: a single label (not `*`), `*.svc`, `*.svc.cluster.local`, `*.cluster.local`. */
export function isClusterLocalHost(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, "");
    if (h.includes("*")) return h.endsWith(".svc") || h.endsWith(`.${CLUSTER_DOMAIN}`);
    return !h.includes(".") || h.endsWith(".svc") || h.endsWith(`.${CLUSTER_DOMAIN}`);
}

const LOOPBACK = ["127.0.0.0/8", "::1/128"];

/**
 * Does an endpoint address lead outside the cluster? An IP or CIDR does unless it lies in the configured in-cluster
 * ranges, `allowedEgressCidrs` or loopback (a container in the same pod); a name does unless it is cluster-local
 * (`isClusterLocalHost`); a `unix://` socket never does. Only the operator's config exempts an address, never the
 * manifest. No address (undefined, null, "") leads nowhere: the caller decides what an entry without one means (an
 * Istio endpoint with only a `network` goes through that network's gateway). Anything else that is not a string
 * (the API server refuses it) leads outside: fail closed.
 *
 * Used for ServiceEntry endpoints and addresses, an ExternalName, Endpoints and EndpointSlice addresses.
 */
export function leadsOutsideCluster(address: unknown, cfg: InClusterRanges): boolean {
    if (address === undefined || address === null || address === "") return false;
    if (typeof address !== "string") return true;
    if (address.startsWith("unix://")) return false;
    if (isIP(address) || address.includes("/")) {
        try {
            return (
                outsideRanges(
                    address.includes("/") ? address : `${address}/${isIP(address) === 6 ? 128 : 32}`,
                    [],
                    [...cfg.inClusterCidrs, ...cfg.allowedEgressCidrs, ...LOOPBACK],
                ).length > 0
            );
        } catch {
            return true;
        }
    }
    return !isClusterLocalHost(address);
}

const PRIVATE_SUFFIX = /\.(internal|local|localdomain|lan|corp|intranet|home\.arpa)\.?$/i;

/**
 * Does a ServiceEntry lead outside the cluster, whatever its `location` says? Its endpoints decide when it has
 * them (a loopback endpoint, e.g. a container in the same pod, or an in-cluster address is not external); a
 * `workloadSelector` selects mesh workloads; otherwise its addresses, else its hosts (resolved by DNS, or passed
 * through to the address the application resolved).
 */
export function isExternalServiceEntry(spec: unknown, cfg: InClusterRanges): boolean {
    return serviceEntryOutside(spec, cfg).length > 0;
}

/** What makes a ServiceEntry lead outside the cluster (`isExternalServiceEntry`): its endpoint addresses, addresses or hosts that do, as written. */
export function serviceEntryOutside(spec: unknown, cfg: InClusterRanges): unknown[] {
    if (valueAt(spec, "workloadSelector") !== undefined) return [];
    const endpoints = listAt(spec, "endpoints");
    if (endpoints.length > 0) return endpoints.map((e) => valueAt(e, "address")).filter((a) => leadsOutsideCluster(a, cfg));
    const addresses = listAt(spec, "addresses");
    const resolution = valueAt(spec, "resolution") ?? "NONE";
    if (addresses.length > 0 && resolution !== "DNS" && resolution !== "DNS_ROUND_ROBIN") return addresses.filter((a) => leadsOutsideCluster(a, cfg));
    // No endpoints or addresses: the hosts are resolved (DNS) or passed through. A MESH_INTERNAL entry's names under a
    // private-use suffix (RFC 6762 `.local`, `.internal`, `.home.arpa`, ...) are taken as inside; public names never are.
    const internal = valueAt(spec, "location") === "MESH_INTERNAL";
    return listAt(spec, "hosts").filter((h) => typeof h === "string" && !isClusterLocalHost(h) && !(internal && PRIVATE_SUFFIX.test(h)));
}
