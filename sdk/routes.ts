/**
 * `EgressRoutes`: an application team's hosts and rules on a gateway that another stack (the platform's
 * `EgressGateway`) owns. It takes the gateway's outputs — typically through a `StackReference` — and adds, in the
 * gateway's namespace, the team's own Istio Gateway servers, a DestinationRule with the team's subsets (Istio
 * merges DestinationRules of one host within a namespace), ServiceEntries, VirtualServices, origination
 * DestinationRules, the team's ALLOW / DENY AuthorizationPolicies and an ingress NetworkPolicy letting the team's
 * namespaces reach the gateway pods; and, in the team's namespaces, the same deny-by-default lock-down as the
 * platform's protected namespaces.
 *
 * The platform keeps what must exist once: the release, the default-deny AuthorizationPolicy, PeerAuthentication,
 * the gateway's egress NetworkPolicies and access logs. The gateway's egress NetworkPolicy opens the internet only
 * on the platform's external ports: a team host on a port the platform's hosts do not use needs the platform to
 * list it in `lockdown.externalPorts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ExternalHostArgs, ExtraEgressCidrArgs, ProtectedNamespaceArgs } from "./args";
import { buildPlan, EgressPlan } from "./plan";
import { hostOutputs, HostOutputs, planOrThrow } from "./component";
import { routingManifests } from "./manifests/routing";
import { gatewayNames, lockdownManifests } from "./manifests/lockdown";
import type { K8sObject } from "./model";
import { routesCatalog } from "./manifests/gateway";
import { childName, registerObjectOutput } from "./resources";

export const ROUTES_TYPE = "istio-egress:index:EgressRoutes";

/** The platform gateway, as its `EgressGateway` outputs describe it. */
export interface GatewayReferenceArgs {
    /** The gateway's namespace (`EgressGateway.namespace`). */
    namespace: pulumi.Input<string>;
    /** The gateway Service's name (`EgressGateway.serviceName`). */
    serviceName: pulumi.Input<string>;
    /** The gateway pods' labels (`EgressGateway.labels`). */
    labels: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
    /** The gateway's container ports (`EgressGateway.containerPorts`). */
    containerPorts: pulumi.Input<ContainerPortsArgs>;
}

/** The gateway's container ports, as `EgressGateway.containerPorts` reports them. */
export interface ContainerPortsArgs {
    http: pulumi.Input<number>;
    tls: pulumi.Input<number>;
}

export interface EgressRoutesArgs {
    gateway: GatewayReferenceArgs;
    /** The team's external hosts, with their allow / deny rules. */
    hosts: ExternalHostArgs[];
    /** The team's namespaces, locked down like the platform's protected namespaces. */
    namespaces?: ProtectedNamespaceArgs[];
    /** Let the team's pods reach pods of every namespace. Default true. */
    allowInCluster?: boolean;
    /** Extra destinations outside the cluster the team's pods may reach directly. */
    extraEgressCidrs?: ExtraEgressCidrArgs[];
    /** Namespace and labels of istiod and the cluster DNS, and the trust domain, if not the defaults. */
    istiodNamespace?: string;
    istiodLabels?: { [key: string]: string };
    dnsNamespace?: string;
    dnsLabels?: { [key: string]: string };
    trustDomain?: string;
}

interface ResolvedGateway {
    namespace: string;
    serviceName: string;
    labels: Record<string, string>;
    containerPorts: { http: number; tls: number };
}

function teamPlan(name: string, args: EgressRoutesArgs, gw?: ResolvedGateway): EgressPlan {
    return buildPlan(name, {
        gateway: {
            createNamespace: false,
            ...(gw
                ? {
                      namespace: gw.namespace,
                      releaseName: gw.serviceName,
                      labels: gw.labels,
                      values: {
                          service: {
                              ports: [
                                  { name: "http2", port: 80, targetPort: gw.containerPorts.http },
                                  { name: "https", port: 443, targetPort: gw.containerPorts.tls },
                              ],
                          },
                      },
                  }
                : {}),
        },
        hosts: args.hosts,
        lockdown: {
            namespaces: args.namespaces,
            allowInCluster: args.allowInCluster,
            extraEgressCidrs: args.extraEgressCidrs,
            istiodNamespace: args.istiodNamespace,
            istiodLabels: args.istiodLabels,
            dnsNamespace: args.dnsNamespace,
            dnsLabels: args.dnsLabels,
            trustDomain: args.trustDomain,
            accessLogs: false,
        },
    });
}

/** The objects a team adds, in a fixed order that depends on the hosts and namespaces only. */
export function teamObjects(plan: EgressPlan): { gatewaySide: K8sObject[]; catalog: K8sObject; teamSide: K8sObject[] } {
    const routing = routingManifests(plan);
    const lockdown = lockdownManifests(plan);
    const names = gatewayNames(plan);
    const mine = new Set([names.ingress, names.authzAllow, names.authzDeny]);
    const sharedRouting = routing.shared.map((o) => {
        if (o.kind !== "DestinationRule") return o;
        // The platform's DestinationRule for the gateway Service sets the top-level policy; ours adds subsets only.
        const { trafficPolicy: _platformOwned, ...spec } = o.spec;
        return { ...o, spec };
    });
    return {
        gatewaySide: [
            ...sharedRouting,
            ...[...routing.perHost.values()].flat(),
            ...lockdown.gatewayNamespace.filter((o) => mine.has(o.metadata.name)),
        ],
        catalog: routesCatalog(plan),
        teamSide: lockdown.protectedNamespaces,
    };
}

export class EgressRoutes extends pulumi.ComponentResource {
    /** Per external host, the names of its Istio objects. */
    public readonly hosts: pulumi.Output<Record<string, HostOutputs>>;
    /** The team namespaces locked down. */
    public readonly protectedNamespaces: pulumi.Output<string[]>;

    constructor(name: string, args: EgressRoutesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        // Validate (and fix the set of children and their names) before anything is registered; the gateway's
        // real namespace, labels and ports only flow into the children's inputs.
        const shape = planOrThrow(ROUTES_TYPE, name, () => teamPlan(name, args), opts.parent);
        if (!args || !args.gateway) {
            throw new pulumi.ResourceError(`${ROUTES_TYPE} "${name}": invalid arguments:\n  - gateway: is required (the platform EgressGateway's outputs)`, opts.parent);
        }
        super(ROUTES_TYPE, name, {}, opts);
        const child = { parent: this };

        const resolved = pulumi.output(args.gateway).apply((g) => teamPlan(name, args, g as ResolvedGateway));
        const objects = resolved.apply(teamObjects);
        const shapeObjects = teamObjects(shape);
        const home = shape.gateway.namespace;

        const register = (side: "gatewaySide" | "teamSide", deps: pulumi.Resource[]) =>
            shapeObjects[side].map((o, i) =>
                registerObjectOutput(childName(name, home, o), o, objects.apply((all) => all[side][i]), { ...child, dependsOn: deps }),
            );
        const gatewaySide = register("gatewaySide", []);
        // The team's catalog waits for all its gateway-side objects; the team's lock-down waits for the catalog.
        const catalog = registerObjectOutput(childName(name, home, shapeObjects.catalog), shapeObjects.catalog, objects.apply((all) => all.catalog), {
            ...child,
            dependsOn: gatewaySide,
        });
        register("teamSide", [catalog]);

        this.hosts = resolved.apply(hostOutputs);
        this.protectedNamespaces = pulumi.output(shape.lockdown.namespaces.map((n) => n.name));
        this.registerOutputs({ hosts: this.hosts, protectedNamespaces: this.protectedNamespaces });
    }
}
