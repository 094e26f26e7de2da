/**
 * The network-policy kinds of the CNIs and of SIG Network, next to Kubernetes' own NetworkPolicy: which API group
 * serves which kind, and whether it is cluster-wide. Sources: the CRDs of Cilium (`cilium.io/v2`
 * CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy), Calico (`projectcalico.org/v3` NetworkPolicy,
 * GlobalNetworkPolicy; the same kinds under `crd.projectcalico.org/v1`) and sigs.k8s.io/network-policy-api
 * (`policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy, BaselineAdminNetworkPolicy).
 */
export const CILIUM_GROUP = "cilium.io";
export const CALICO_GROUPS: ReadonlySet<string> = new Set(["projectcalico.org", "crd.projectcalico.org"]);
export const POLICY_API_GROUP = "policy.networking.k8s.io";

export type NetworkPolicyFlavour = "kubernetes" | "cilium" | "calico" | "anp" | "banp";

/** Which network-policy flavour an object of this group/kind is, if any. */
export function networkPolicyFlavour(group: string, kind: string): NetworkPolicyFlavour | undefined {
    if (group === "networking.k8s.io" && kind === "NetworkPolicy") return "kubernetes";
    if (group === CILIUM_GROUP && (kind === "CiliumNetworkPolicy" || kind === "CiliumClusterwideNetworkPolicy")) return "cilium";
    if (CALICO_GROUPS.has(group) && (kind === "NetworkPolicy" || kind === "GlobalNetworkPolicy")) return "calico";
    if (group === POLICY_API_GROUP && kind === "AdminNetworkPolicy") return "anp";
    if (group === POLICY_API_GROUP && kind === "BaselineAdminNetworkPolicy") return "banp";
    return undefined;
}

/** Kinds that may be a network policy of some flavour (decided from the kind alone, before any prop is read). */
export const NETWORK_POLICY_KINDS: ReadonlySet<string> = new Set([
    "NetworkPolicy",
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "GlobalNetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
]);
