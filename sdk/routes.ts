/**
 * `EgressRoutes`: an application team's hosts and rules on a gateway that another component (the platform's
 * `EgressGateway`, in another stack or in this program) owns. Its plan (`buildTeamPlan`) and its objects
 * (`teamManifests`, sdk/manifests/team.ts) come from the same pure builders as the platform's; this class only
 * registers them.
 *
 * The gateway reference (namespace, Service name, pod labels, container ports) is usually Outputs — from a
 * StackReference, or from an `EgressGateway` in the same program, whose outputs carry its release and routes
 * catalog as dependencies: every team object is built from them, so each waits for the gateway and its routes,
 * and the team's deny-by-default lock-down cannot cut a namespace off before they exist. The set of children and
 * their names never depend on the reference (sdk/plan/names.ts): they are fixed before anything is registered;
 * the objects' contents follow once it resolves, matched to the children by name.
 *
 * The gateway's egress NetworkPolicy opens the internet only on the platform's external ports: a team host on a
 * port the platform's hosts do not use needs the platform to list it in `lockdown.externalPorts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { EgressRoutesArgs, GatewayReferenceArgs } from "./args";
import { ArgsError, buildTeamPlan, checkGatewayReference, EgressPlan, GatewayReference, ROUTES_TYPE } from "./plan";
import { argsResourceError, childAliases, hostOutputs, HostOutputs, planOrThrow } from "./component";
import { teamManifests, TeamManifests } from "./manifests/team";
import type { K8sObject } from "./model";
import { childName, registerObjectOutput } from "./resources";
import { checkResolved, isPending } from "./schema/args";

export { ROUTES_TYPE };
export type { EgressRoutesArgs, GatewayReferenceArgs };

/** The four outputs of an `EgressGateway` a team needs (a component passed as `gateway` is read this way). */
function referenceOf(gateway: unknown): unknown {
    if (pulumi.Resource.isInstance(gateway)) {
        const g = gateway as pulumi.Resource & { namespace?: unknown; serviceName?: unknown; labels?: unknown; containerPorts?: unknown };
        return { namespace: g.namespace, serviceName: g.serviceName, labels: g.labels, containerPorts: g.containerPorts };
    }
    return gateway;
}

type Side = "gatewaySide" | "teamSide";

export class EgressRoutes extends pulumi.ComponentResource {
    /** Per external host, the names of its Istio objects. */
    public readonly hosts: pulumi.Output<Record<string, HostOutputs>>;
    /** The team namespaces locked down. */
    public readonly protectedNamespaces: pulumi.Output<string[]>;

    constructor(name: string, args: EgressRoutesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const given = args && typeof args === "object" && !isPending(args) ? { ...args, gateway: referenceOf((args as { gateway?: unknown }).gateway) } : args;
        // Validate, and fix the set of children and their names, before anything is registered.
        const shape = planOrThrow(ROUTES_TYPE, name, () => buildTeamPlan(name, given as EgressRoutesArgs), opts.parent);
        super(ROUTES_TYPE, name, {}, opts);
        const shapeObjects = teamManifests(shape);

        const gatewayInput = given.gateway as GatewayReferenceArgs;
        const reference = pulumi.output(gatewayInput).apply((ref): GatewayReference => {
            const deferred = shape.deferred.find((d) => d.field === "gateway");
            const problems = [
                ...(deferred
                    ? checkResolved(deferred, ref)
                    : checkResolved({ field: "gateway", schema: { $ref: "#/definitions/GatewayReferenceArgs" }, value: ref }, ref)),
            ];
            if (problems.length === 0) problems.push(...checkGatewayReference(ref));
            if (problems.length > 0)
                throw argsResourceError(ROUTES_TYPE, name, new ArgsError(problems.map((p) => ({ ...p, rule: `${p.rule} (once resolved)` }))), this);
            return ref;
        });
        const resolved = reference.apply((ref) => planOrThrow(ROUTES_TYPE, name, () => buildTeamPlan(name, given as EgressRoutesArgs, ref), this));
        const objects = resolved.apply((plan) => byChildName(plan, teamManifests(plan)));

        const register = (o: K8sObject, deps: pulumi.Resource[]) => {
            const child = childName(shape, o);
            return registerObjectOutput(
                child,
                o,
                objects.apply((all) => {
                    const found = all.get(child);
                    if (!found) throw new Error(`internal: ${ROUTES_TYPE} "${name}": no object for child ${child} once the gateway reference resolved`);
                    return found;
                }),
                { parent: this, dependsOn: deps, aliases: childAliases(name, opts, child) },
            );
        };
        const side = (s: Side, deps: pulumi.Resource[]) => shapeObjects[s].map((o) => register(o, deps));
        const gatewaySide = side("gatewaySide", []);
        // The team's catalog waits for all its gateway-side objects; the team's lock-down waits for the catalog.
        const catalog = register(shapeObjects.catalog, gatewaySide);
        side("teamSide", [catalog]);

        this.hosts = resolved.apply(hostOutputs);
        this.protectedNamespaces = pulumi.output(shape.lockdown.namespaces.map((n) => n.name));
        this.registerOutputs({ hosts: this.hosts, protectedNamespaces: this.protectedNamespaces });
    }
}

/** The team's objects by child name; the set must equal the shape's (names never depend on the reference). */
function byChildName(plan: EgressPlan, m: TeamManifests): Map<string, K8sObject> {
    return new Map([...m.gatewaySide, m.catalog, ...m.teamSide].map((o) => [childName(plan, o), o]));
}
