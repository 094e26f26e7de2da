/**
 * plan → the objects a team component (`EgressRoutes`) adds (pure), next to the platform's builders.
 *
 * In the gateway's namespace: the team's own Istio Gateway (its servers), a DestinationRule for the gateway
 * Service with the team's subsets only (Istio merges the DestinationRules of one host in one namespace; the
 * platform's sets the top-level traffic policy), the per-host ServiceEntries, VirtualServices and origination
 * DestinationRules, the team's ALLOW / DENY AuthorizationPolicies and an ingress NetworkPolicy letting the team's
 * namespaces reach the gateway pods; the team's routes catalog; and in the team's namespaces the same
 * deny-by-default lock-down as the platform's protected namespaces. Every name is in the team's naming domain
 * (sdk/plan/names.ts), so a team can never produce (and so never replace) a platform object.
 *
 * The platform keeps what must exist once: the release, the default-deny AuthorizationPolicy, PeerAuthentication,
 * the gateway's egress NetworkPolicies and access logs.
 */
import type { K8sObject } from "../model";
import type { EgressPlan } from "../plan";
import { routesCatalog } from "./gateway";
import { authorizationPolicies, gatewayIngressPolicy, protectedNamespaceObjects } from "./lockdown";
import { routingManifests } from "./routing";

export interface TeamManifests {
    /** In the gateway's namespace; applied first. */
    gatewaySide: K8sObject[];
    /** The team's routes catalog, created once every gateway-side object exists. */
    catalog: K8sObject;
    /** In the team's namespaces; applied once the catalog exists (they cut every other way out). */
    teamSide: K8sObject[];
}

export function teamManifests(plan: EgressPlan): TeamManifests {
    if (plan.domain !== "team") throw new Error("internal: teamManifests needs a team plan (buildTeamPlan)");
    const routing = routingManifests(plan);
    const shared = routing.shared.map((o) => {
        if (o.kind !== "DestinationRule") return o;
        // The platform's DestinationRule for the gateway Service sets the top-level policy; the team's adds subsets.
        const { trafficPolicy: _platformOwned, ...spec } = o.spec as Record<string, unknown>;
        return { ...o, spec };
    });
    return {
        gatewaySide: [...shared, ...[...routing.perHost.values()].flat(), ...gatewayIngressPolicy(plan), ...authorizationPolicies(plan)],
        catalog: routesCatalog(plan),
        teamSide: plan.lockdown.namespaces.flatMap((ns) => protectedNamespaceObjects(plan, ns.name, ns.registryOnlySidecar)),
    };
}
