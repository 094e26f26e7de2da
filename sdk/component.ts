/**
 * The `EgressGateway` component: args → plan (sdk/plan) → manifests (sdk/manifests/) → resources (here). The
 * component only registers what the plan and the manifest builders give it.
 *
 * Order of rollout (dependsOn): namespace → the gateway namespace's own lock-down → the gateway Helm release
 * (its pods never run unprotected) → routes → the routes catalog (a ConfigMap created once every route exists)
 * → the protected namespaces' deny-by-default policies and REGISTRY_ONLY Sidecars, which must never cut a
 * namespace off before the gateway and its routes exist. The catalog keeps that last fan-in O(1) per object.
 * The outputs another stack (or an `EgressRoutes` in this program) attaches to carry the release and the
 * catalog as dependencies, so a team's lock-down also waits for them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { EgressGatewayArgs } from "./args";
import { ArgsError, buildPlan, COMPONENT_TYPE, EgressPlan } from "./plan";
import { routingManifests } from "./manifests/routing";
import { lockdownManifests } from "./manifests/lockdown";
import { namespaceObject, releaseArgs, routesCatalog } from "./manifests/gateway";
import { childName, registerObject, releaseChildName } from "./resources";
import type { K8sObject } from "./model";

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

/** Formats an `ArgsError` as the one `ResourceError` a component throws. */
export function argsResourceError(componentType: string, name: string, err: ArgsError, parent?: pulumi.Resource): pulumi.ResourceError {
    const lines = err.problems.map((p) => `  - ${p.field}: ${p.rule}`).join("\n");
    return new pulumi.ResourceError(`${componentType} "${name}": invalid arguments:\n${lines}`, parent);
}

/**
 * Turns a plan-building failure into a `pulumi.ResourceError` naming every field and rule, thrown before any
 * resource (not even the component) is registered. Anything else a plan throws is a bug, reported as such (still
 * as a ResourceError, so that a program never dies of a TypeError from bad input).
 */
export function planOrThrow(componentType: string, name: string, build: () => EgressPlan, parent?: pulumi.Resource): EgressPlan {
    try {
        return build();
    } catch (err) {
        if (err instanceof ArgsError) throw argsResourceError(componentType, name, err, parent);
        throw new pulumi.ResourceError(
            `${componentType} "${String(name)}": internal error while checking the arguments (please report): ${(err as Error)?.message ?? err}`,
            parent,
        );
    }
}

/** Child options for a component whose `opts.aliases` rename it: each child keeps its old name as an alias. */
export function childAliases(name: string, opts: pulumi.ComponentResourceOptions, childName: string): pulumi.Input<pulumi.URN | pulumi.Alias>[] {
    const out: pulumi.Alias[] = [];
    for (const a of opts.aliases ?? []) {
        if (a && typeof a === "object" && !pulumi.Output.isInstance(a) && typeof (a as pulumi.Alias).name === "string") {
            const old = (a as pulumi.Alias).name as string;
            if (old !== name && childName.startsWith(`${name}/`)) out.push({ name: `${old}${childName.slice(name.length)}` });
        }
    }
    return out;
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
        for (const w of plan.warnings) void pulumi.log.warn(w, this);
        const gw = plan.gateway;
        const register = (objects: K8sObject[], dependsOn: pulumi.Resource[]) =>
            objects.map((o) => {
                const child = childName(plan, o);
                return registerObject(child, o, { parent: this, dependsOn, aliases: childAliases(name, opts, child) });
            });

        const ns = gw.createNamespace ? register([namespaceObject(plan)], [])[0] : undefined;
        const afterNamespace = ns ? [ns] : [];

        const lockdown = lockdownManifests(plan);
        const gatewayLockdown = register(lockdown.gatewayNamespace, afterNamespace);

        const releaseName = releaseChildName(plan);
        const release = new k8s.helm.v3.Release(releaseName, releaseArgs(plan, name), {
            parent: this,
            dependsOn: [...afterNamespace, ...gatewayLockdown],
            aliases: childAliases(name, opts, releaseName),
        });

        const routing = routingManifests(plan);
        const routes = register([...routing.shared, ...[...routing.perHost.values()].flat()], [release]);
        const [catalog] = register([routesCatalog(plan)], [release, ...routes]);
        register(lockdown.protectedNamespaces, [release, catalog, ...gatewayLockdown]);

        // Outputs another component attaches to carry the release and the catalog: whatever is built from them
        // waits until the gateway and every route exist.
        const ready = <T>(value: T): pulumi.Output<T> => pulumi.all([release.urn, catalog.urn]).apply(() => value);
        this.namespace = ready(gw.namespace);
        this.serviceName = ready(gw.serviceName);
        this.serviceHost = ready(gw.serviceHost);
        this.labels = ready({ ...gw.labels });
        this.gatewayRef = ready(gw.gatewayRef);
        this.containerPorts = ready({ http: gw.httpPort.targetPort, tls: gw.tlsPort.targetPort });
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
