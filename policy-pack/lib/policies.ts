/**
 * The `istio-egress-guard` policies, in the order they are reported. Each policy is declared in its own file under
 * `policy-pack/policies/`, its metadata next to its rule; the facts they share are in `facts.ts`.
 *
 * This module never constructs a PolicyPack (that starts the analyzer's gRPC server); `policy-pack/index.ts` does.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { sidecarInjectionRequired } from "../policies/sidecar-injection-required";
import { noGatewayImpersonation } from "../policies/no-gateway-impersonation";
import { noTrafficCaptureExclusions } from "../policies/no-traffic-capture-exclusions";
import { noProxyEscapePrivileges } from "../policies/no-proxy-escape-privileges";
import { noExternalEgressNetworkPolicy } from "../policies/no-external-egress-networkpolicy";
import { namespaceDefaultDenyEgress } from "../policies/namespace-default-deny-egress";
import { registryOnlyOutbound } from "../policies/registry-only-outbound";
import { noOpenServiceEntry } from "../policies/no-open-service-entry";
import { serviceEntryViaEgressGateway } from "../policies/service-entry-via-egress-gateway";
import { noExternalServiceEndpoints } from "../policies/no-external-service-endpoints";
import { egressGatewayIstioMutual } from "../policies/egress-gateway-istio-mutual";
import { egressGatewayClusterIp } from "../policies/egress-gateway-cluster-ip";
import { egressGatewayControl } from "../policies/egress-gateway-control";
import { egressGatewayAccessLog } from "../policies/egress-gateway-access-log";
import { gatewayNamespaceRbac } from "../policies/gateway-namespace-rbac";
import { gatewayClusterRbac } from "../policies/gateway-cluster-rbac";
import { egressTlsOriginationVerified } from "../policies/egress-tls-origination-verified";

export const POLICY_PACK_NAME = "istio-egress-guard";

export {
    sidecarInjectionRequired,
    noGatewayImpersonation,
    noTrafficCaptureExclusions,
    noProxyEscapePrivileges,
    noExternalEgressNetworkPolicy,
    namespaceDefaultDenyEgress,
    registryOnlyOutbound,
    noOpenServiceEntry,
    serviceEntryViaEgressGateway,
    noExternalServiceEndpoints,
    egressGatewayIstioMutual,
    egressGatewayClusterIp,
    egressGatewayControl,
    egressGatewayAccessLog,
    egressTlsOriginationVerified,
    gatewayNamespaceRbac,
    gatewayClusterRbac,
};

/** Every policy of the pack, in the order they are reported. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    sidecarInjectionRequired,
    noTrafficCaptureExclusions,
    noProxyEscapePrivileges,
    noExternalEgressNetworkPolicy,
    noGatewayImpersonation,
    namespaceDefaultDenyEgress,
    registryOnlyOutbound,
    noOpenServiceEntry,
    serviceEntryViaEgressGateway,
    noExternalServiceEndpoints,
    egressGatewayIstioMutual,
    egressGatewayClusterIp,
    egressGatewayControl,
    egressGatewayAccessLog,
    egressTlsOriginationVerified,
    gatewayNamespaceRbac,
    gatewayClusterRbac,
];
