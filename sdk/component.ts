/**
 * The `EgressGateway` component: args → plan (sdk/plan.ts) → manifests (sdk/manifests/) → resources (here).
 *
 * Order of rollout (dependsOn): namespace → the gateway namespace's own lock-down → the gateway Helm release
 * (its pods never run unprotected) → routes → the routes catalog (a ConfigMap created once every route exists)
 * → the protected namespaces' deny-by-default policies and REGISTRY_ONLY Sidecars, which must never cut a
 * namespace off before the gateway and its routes exist. The catalog keeps that last fan-in O(1) per object.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { EgressGatewayArgs } from "./args";
import { ArgsError, buildPlan, COMPONENT_TYPE, EgressPlan } from "./plan";
import { routingManifests } from "./manifests/routing";
import { lockdownManifests } from "./manifests/lockdown";
import { namespaceObject, releaseArgs, routesCatalog } from "./manifests/gateway";
import { registerObjects } from "./resources";

/** The gateway's container ports (what NetworkPolicies must open towards the gateway pods). */
export interface ContainerPorts {
    /** Container port of the HTTP (Istio mTLS) listener. */
    http: number;
    /** Container port of the TLS (Istio mTLS) listener. */
    tls: number;
}

/** What another stack needs to attach hosts and rules to this gateway. */
export interface HostOutputs {
    /** `namespace/name` of the host's ServiceEntry. */
    serviceEntry: string;
    /** `namespace/name` of the host's VirtualService. */
    virtualService: string;
    /** `namespace/name` of the origination DestinationRule, where the gateway originates TLS. */
    destinationRule?: string;
    /** The gateway DestinationRule's subset for the host. */
    subset: string;
    /** The outer SNI the gateway sees for this host (`connection.sni`). */
    sni: string;
}

/**
 * Turns a plan-building failure into a `pulumi.ResourceError` naming every field and rule, thrown before any
 * resource (not even the component) is registered.
 */
export function planOrThrow(componentType: string, name: string, build: () => EgressPlan, parent?: pulumi.Resource): EgressPlan {
    try {
        return build();
    } catch (err) {
        if (err instanceof ArgsError) {
            const lines = err.problems.map((p) => `  - ${p.field}: ${p.rule}`).join("\n");
            throw new pulumi.ResourceError(`${componentType} "${name}": invalid arguments:\n${lines}`, parent);
        }
        throw err;
    }
}

export class EgressGateway extends pulumi.ComponentResource {
    /** The gateway's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** The gateway Service's name. */
    public readonly serviceName: pulumi.Output<string>;
    /** `<svc>.<ns>.svc.cluster.local`: the destination of every mesh leg. */
    public readonly serviceHost: pulumi.Output<string>;
    /** Pod labels of the gateway (its selector). */
    public readonly labels: pulumi.Output<Record<string, string>>;
    /** `namespace/name` of the Istio Gateway object, for VirtualServices in other stacks. */
    public readonly gatewayRef: pulumi.Output<string>;
    /** Container ports of the gateway's HTTP and TLS listeners (for NetworkPolicies in other stacks). */
    public readonly containerPorts: pulumi.Output<ContainerPorts>;
    /** The Helm release's status as reported by Helm (`deployed`, ...). */
    public readonly releaseStatus: pulumi.Output<string>;
    /** Per external host, the names of its Istio objects. */
    public readonly hosts: pulumi.Output<Record<string, HostOutputs>>;
    /** The application namespaces whose egress is locked down. */
    public readonly protectedNamespaces: pulumi.Output<string[]>;

    constructor(name: string, args: EgressGatewayArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        // Validate before super(): bad input must not register anything, not even the component.
        const plan = planOrThrow(COMPONENT_TYPE, name, () => buildPlan(name, args), opts.parent);
        super(COMPONENT_TYPE, name, {}, opts);
        const gw = plan.gateway;
        const taken = new Set<string>();
        const child = { parent: this };

        const ns = gw.createNamespace ? registerObjects(name, gw.namespace, [namespaceObject(plan)], child, taken)[0] : undefined;
        const afterNamespace = ns ? [ns] : [];

        const lockdown = lockdownManifests(plan);
        const gatewayLockdown = registerObjects(name, gw.namespace, lockdown.gatewayNamespace, { ...child, dependsOn: afterNamespace }, taken);

        const release = new k8s.helm.v3.Release(
            `${name}-release`,
            releaseArgs(plan, args.gateway?.chartVersion, args.gateway?.chartRepository, args.gateway?.resources),
            { ...child, dependsOn: [...afterNamespace, ...gatewayLockdown] },
        );

        const routing = routingManifests(plan);
        const routes = registerObjects(
            name,
            gw.namespace,
            [...routing.shared, ...[...routing.perHost.values()].flat()],
            { ...child, dependsOn: [release] },
            taken,
        );

        const [catalog] = registerObjects(name, gw.namespace, [routesCatalog(plan)], { ...child, dependsOn: [release, ...routes] }, taken);
        registerObjects(name, gw.namespace, lockdown.protectedNamespaces, { ...child, dependsOn: [release, catalog, ...gatewayLockdown] }, taken);

        this.namespace = ns ? (ns as k8s.core.v1.Namespace).metadata.name : pulumi.output(gw.namespace);
        this.serviceName = pulumi.output(gw.serviceName);
        this.serviceHost = pulumi.output(gw.serviceHost);
        this.labels = pulumi.output({ ...gw.labels });
        this.gatewayRef = pulumi.output(gw.gatewayRef);
        this.containerPorts = pulumi.output({ http: gw.httpPort.targetPort, tls: gw.tlsPort.targetPort });
        this.releaseStatus = release.status.status;
        this.hosts = pulumi.output(hostOutputs(plan));
        this.protectedNamespaces = pulumi.output(plan.lockdown.namespaces.map((n) => n.name));
        this.registerOutputs({
            namespace: this.namespace,
            serviceName: this.serviceName,
            serviceHost: this.serviceHost,
            labels: this.labels,
            gatewayRef: this.gatewayRef,
            containerPorts: this.containerPorts,
            releaseStatus: this.releaseStatus,
            hosts: this.hosts,
            protectedNamespaces: this.protectedNamespaces,
        });
    }
}

export function hostOutputs(plan: EgressPlan): Record<string, HostOutputs> {
    const ns = plan.gateway.namespace;
    return Object.fromEntries(
        plan.hosts.map((h) => [
            h.host,
            {
                serviceEntry: `${ns}/${h.names.serviceEntry}`,
                virtualService: `${ns}/${h.names.virtualService}`,
                ...(h.names.destinationRule ? { destinationRule: `${ns}/${h.names.destinationRule}` } : {}),
                subset: h.subsetName,
                sni: h.sni,
            },
        ]),
    );
}
