/**
 * The timed cases, run in-process (each in its own child process, see child.ts). Every case builds its input
 * first and times only the work being compared: a Pulumi program under the mock engine, or `runPolicies`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { runProgram, CapturedResource } from "../sdk/engine/mock-engine";
import { stringAt } from "../sdk/model/read";
import { EgressGateway } from "../sdk/component";
import type { EgressGatewayArgs } from "../sdk/args";
import { fromManifests, policies as packPolicies, runPolicies } from "istio-egress-guard/lib";
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    COMPONENT_NAME,
    FloorObject,
    HOST_SHAPES,
    HostShape,
    componentArgs,
    floorPlan,
    hostArgs,
    kindCounts,
    protectedNamespaceName,
    syntheticStack,
} from "./workloads";

/**
 * Time of the work between `start()` and `stop()`: wall clock and the process's CPU time (user + system, all
 * threads, GC included). The ratios use CPU time: on a shared 2-core machine, wall time also counts the time
 * another process held the CPU.
 */
export function stopwatch(): { stop(): { ms: number; cpuMs: number } } {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    return {
        stop() {
            const d = process.cpuUsage(cpu);
            return { ms: Number(process.hrtime.bigint() - wall) / 1e6, cpuMs: (d.user + d.system) / 1000 };
        },
    };
}

/** Both programs run as a `pulumi preview` would in CI. */
export const ENGINE_OPTIONS = { preview: true, project: "bench", stack: "bench" } as const;

export type ComponentSubject = "component" | FloorVariant;

export interface ComponentMeasurement {
    subject: ComponentSubject;
    hosts: number;
    namespaces: number;
    /** Wall-clock time of the run. */
    ms: number;
    /** CPU time of the run (what the ratios compare). */
    cpuMs: number;
    /** Every resource registered (the stack, the parent and its children). */
    registered: number;
    /** Children of the component (or of the floor's parent). */
    children: number;
    /** Children living in a protected namespace. */
    perNamespace: number;
    /** Children that belong to one host (annotated with it). */
    perHost: number;
    /** The rest: gateway namespace, release, gateway lock-down, shared Gateway and DestinationRule. */
    shared: number;
    /** Children per host, by host shape (the same for every host of a shape). */
    perHostByShape: Partial<Record<HostShape, number>>;
    /** Children by type token. */
    types: Record<string, number>;
    /** Dependency edges the children declare (sum of `dependencies` lengths). */
    dependencyEdges: number;
}

const HOST_ANNOTATION = "istio-egress.io/host";

/** Splits a case's children into per-namespace, per-host and shared, and counts per host shape. */
export function classifyChildren(children: CapturedResource[], hosts: number, namespaces: number) {
    const protectedNs = new Set(Array.from({ length: namespaces }, (_, i) => protectedNamespaceName(i)));
    const shapeOf = new Map<string, HostShape>();
    for (let i = 0; i < hosts; i++) shapeOf.set(hostArgs(i, namespaces).host, HOST_SHAPES[i % HOST_SHAPES.length]);
    const byHost = new Map<string, number>();
    let perNamespace = 0;
    let perHost = 0;
    for (const c of children) {
        const namespace = stringAt(c.inputs, "metadata", "namespace");
        const host = stringAt(c.inputs, "metadata", "annotations", HOST_ANNOTATION);
        if (namespace !== undefined && protectedNs.has(namespace)) {
            perNamespace++;
        } else if (typeof host === "string") {
            perHost++;
            byHost.set(host, (byHost.get(host) ?? 0) + 1);
        }
    }
    const perHostByShape: Partial<Record<HostShape, number>> = {};
    for (const [host, count] of byHost) {
        const shape = shapeOf.get(host);
        if (!shape) throw new Error(`a child is annotated with host ${host}, which the case did not ask for`);
        const prev = perHostByShape[shape];
        if (prev !== undefined && prev !== count) {
            throw new Error(`hosts of shape ${shape} do not all get the same number of children (${prev} and ${count})`);
        }
        perHostByShape[shape] = count;
    }
    if (byHost.size !== hosts) throw new Error(`${byHost.size} of ${hosts} hosts have children of their own`);
    return { perNamespace, perHost, shared: children.length - perNamespace - perHost, perHostByShape };
}

/**
 * Variants of the floor for diagnosis (`npm run bench -- --diagnose`): each adds one way of registering to the
 * plain floor, to see what that way costs.
 *  - `floor+deps`: the component's own dependsOn lists (namespace → gateway lock-down → release → routes →
 *    routes catalog → app lock-down; the app lock-down waits for the catalog, which waits for every route);
 *  - `floor+fan-in`: every app lock-down object depends on every route, as the component did before d94670a
 *    (O(hosts × namespaces) dependency edges);
 *  - `floor+outputs`: every object's inputs wrapped in Outputs, as sdk/resources.ts `registerObjectOutput` does
 *    (the component's path for every object before d94670a; EgressRoutes' path today).
 */
export type FloorVariant = "floor" | "floor+deps" | "floor+fan-in" | "floor+outputs";

/** The floor: the same objects, registered directly with the same classes under one ComponentResource parent. */
function floorProgram(args: EgressGatewayArgs, variant: FloorVariant = "floor"): () => void {
    const plan = floorPlan(args);
    const viaOutputs = variant === "floor+outputs";
    return () => {
        const parent = new pulumi.ComponentResource("bench:index:RawResources", COMPONENT_NAME, {});
        const child = { parent };
        const register = (o: FloorObject, opts: pulumi.CustomResourceOptions) => {
            const { apiVersion, kind } = o.object;
            // The floor registers the component's own objects (floorPlan), typed as the classes take them.
            let metadata: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta> = o.object.metadata;
            let spec: pulumi.Input<k8s.types.input.networking.v1.NetworkPolicySpec> = o.object.spec as k8s.types.input.networking.v1.NetworkPolicySpec;
            let data: pulumi.Input<Record<string, string>> | undefined = o.object.data as Record<string, string> | undefined;
            if (viaOutputs) {
                const checked = pulumi.output(o.object).apply((x) => x);
                metadata = checked.apply((x) => x.metadata);
                spec = checked.apply((x) => x.spec as k8s.types.input.networking.v1.NetworkPolicySpec);
                data = o.object.data === undefined ? undefined : checked.apply((x) => x.data as Record<string, string>);
            }
            switch (`${apiVersion}/${kind}`) {
                case "v1/Namespace":
                    return new k8s.core.v1.Namespace(o.name, { metadata }, opts);
                case "v1/ConfigMap":
                    return new k8s.core.v1.ConfigMap(o.name, { metadata, data }, opts);
                case "networking.k8s.io/v1/NetworkPolicy":
                    return new k8s.networking.v1.NetworkPolicy(o.name, { metadata, spec }, opts);
                default:
                    return new k8s.apiextensions.CustomResource(o.name, { apiVersion, kind, metadata, spec }, opts);
            }
        };
        const after = (deps: pulumi.Resource[]) => ({ ...child, dependsOn: deps });
        const ns = register(plan.namespace, child);
        const componentDeps = variant === "floor+deps" || variant === "floor+fan-in";
        const gatewayLockdown = plan.gatewayNamespace.map((o) => register(o, componentDeps ? after([ns]) : child));
        const release = new k8s.helm.v3.Release(plan.release.name, plan.release.args, componentDeps ? after([ns, ...gatewayLockdown]) : child);
        // A hand-written program would still order the rollout; the plain floor does it with one edge per resource.
        const routes = plan.routes.map((o) => register(o, after([release])));
        const catalog = register(plan.catalog, variant === "floor+deps" ? after([release, ...routes]) : after([release]));
        const protectedDeps =
            variant === "floor+deps"
                ? [release, catalog, ...gatewayLockdown]
                : variant === "floor+fan-in"
                  ? [release, ...routes, ...gatewayLockdown]
                  : [release];
        plan.protectedNamespaces.forEach((o) => register(o, after(protectedDeps)));
    };
}

/** Runs one component case: the component (`component`) or the floor (`floor`), timed around `runProgram`. */
export async function componentCase(hosts: number, namespaces: number, subject: ComponentSubject): Promise<ComponentMeasurement> {
    const args = componentArgs(hosts, namespaces);
    const program = subject === "component" ? () => void new EgressGateway(COMPONENT_NAME, args) : floorProgram(args, subject);
    const watch = stopwatch();
    const result = await runProgram(program, ENGINE_OPTIONS);
    const { ms, cpuMs } = watch.stop();

    const parentType = subject === "component" ? "istio-egress:index:EgressGateway" : "bench:index:RawResources";
    const parent = result.resources.find((r) => r.type === parentType);
    if (!parent) throw new Error(`${subject}: no ${parentType} was registered`);
    const children = result.resources.filter((r) => r.parent === parent.urn);
    const nested = result.resources.filter((r) => r.parent !== parent.urn && r.parent !== "" && r.urn !== parent.urn && r.type !== "pulumi:pulumi:Stack");
    if (nested.length > 0) throw new Error(`${subject}: ${nested.length} resources are nested below the children (e.g. ${nested[0].urn})`);
    return {
        subject,
        hosts,
        namespaces,
        ms,
        cpuMs,
        registered: result.resources.length,
        children: children.length,
        ...classifyChildren(children, hosts, namespaces),
        types: kindCounts(children.map((c) => ({ kind: c.type }))),
        dependencyEdges: children.reduce((n, c) => n + c.dependencies.length, 0),
    };
}

// -------------------------------------------------------------------------------------------------------------
// The policy pack
// -------------------------------------------------------------------------------------------------------------

export type PackSubject = "pack" | "noop";

export interface PackMeasurement {
    subject: PackSubject;
    size: number;
    ms: number;
    cpuMs: number;
    resources: number;
    policies: number;
    violations: number;
    mandatory: number;
    kinds: Record<string, number>;
}

function isStack(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
    return typeof (p as Partial<StackValidationPolicy>).validateStack === "function";
}

/**
 * A pack with the same policies (names, kinds, config schemas, levels) whose validations only read each
 * resource's `metadata` through the analyzer's proxy: what the harness itself costs.
 */
export function noopPolicies(policies: Policies = packPolicies): Policies {
    return policies.map((p): ResourceValidationPolicy | StackValidationPolicy => {
        const base = { name: p.name, description: p.description, enforcementLevel: p.enforcementLevel, configSchema: p.configSchema };
        if (isStack(p)) {
            return {
                ...base,
                validateStack: (args) => {
                    // The read is the work measured (through the analyzer's proxy); its value is not needed.
                    for (const r of args.resources) void r.props.metadata;
                },
            };
        }
        return {
            ...base,
            validateResource: (args) => {
                void args.props.metadata;
            },
        };
    });
}

/** Runs one pack case: the real pack (`pack`) or the no-op pack (`noop`) over the same stack of `size` resources. */
export async function packCase(size: number, subject: PackSubject): Promise<PackMeasurement> {
    const resources = syntheticStack(size, fromManifests);
    const policies = subject === "pack" ? packPolicies : noopPolicies(packPolicies);
    const watch = stopwatch();
    const violations = await runPolicies(resources, { policies });
    const { ms, cpuMs } = watch.stop();
    return {
        subject,
        size,
        ms,
        cpuMs,
        resources: resources.length,
        policies: policies.length,
        violations: violations.length,
        mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length,
        kinds: kindCounts(resources.map((r) => ({ kind: r.type.split(":").pop()! }))),
    };
}
