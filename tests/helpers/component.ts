/** Runs the component under the mock engine and hands back what it registered, as resources and as objects. */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CapturedResource, runProgram } from "../../sdk/engine/mock-engine";
import { EgressGatewayArgs } from "../../sdk/args";
import { ContainerPorts, EgressGateway, HostOutputs } from "../../sdk/component";
import { K8sObject } from "../../sdk/schema/validate";

export interface Rendered {
    resources: CapturedResource[];
    component: CapturedResource;
    /** Children of the component (everything it registered). */
    children: CapturedResource[];
    /** The Kubernetes objects (Namespace, NetworkPolicy, Istio CRs) the children manage. */
    objects: K8sObject[];
    release: CapturedResource;
    outputs: GatewayOutputs;
}

/** EgressGateway's outputs as `renderComponent`'s program exports them, resolved by the mock engine. */
export interface GatewayOutputs {
    namespace: string;
    serviceHost: string;
    serviceName: string;
    labels: Record<string, string>;
    gatewayRef: string;
    containerPorts: ContainerPorts;
    releaseStatus: string;
    hosts: Record<string, HostOutputs>;
    protectedNamespaces: string[];
}

export function objectOf(r: CapturedResource): K8sObject | undefined {
    if (!r.custom || !r.type.startsWith("kubernetes:") || r.type.startsWith("kubernetes:helm.sh/") || r.type.startsWith("pulumi:providers:")) {
        return undefined;
    }
    // A Kubernetes resource's inputs are the object it manages (apiVersion, kind, metadata, spec/data).
    return r.inputs as K8sObject;
}

export async function renderComponent(args: EgressGatewayArgs, name = "egress", preview = false): Promise<Rendered> {
    const { resources, outputs } = await runProgram(
        () => {
            const c = new EgressGateway(name, args);
            return {
                namespace: c.namespace,
                serviceHost: c.serviceHost,
                serviceName: c.serviceName,
                labels: c.labels,
                gatewayRef: c.gatewayRef,
                containerPorts: c.containerPorts,
                releaseStatus: c.releaseStatus,
                hosts: c.hosts,
                protectedNamespaces: c.protectedNamespaces,
            } satisfies { [K in keyof GatewayOutputs]: pulumi.Output<GatewayOutputs[K]> };
        },
        { preview },
    );
    const component = resources.find((r) => r.type === "istio-egress:index:EgressGateway" && r.name === name)!;
    const children = resources.filter((r) => r.parent === component.urn);
    const objects = children.map(objectOf).filter((o): o is K8sObject => o !== undefined);
    const release = children.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
    // The engine resolves the program's return value above (checked against GatewayOutputs), output by output.
    return { resources, component, children, objects, release, outputs: outputs as unknown as GatewayOutputs };
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
    return objects.filter((o) => o.kind === kind);
}

/** Where ../shared/reference is (CI and the developers' machines); undefined in a user's clone. */
export function referenceDir(): string | undefined {
    // dist/tests/helpers → repo root is three levels up.
    const dir = path.resolve(__dirname, "..", "..", "..", "..", "shared", "reference");
    return fs.existsSync(dir) ? dir : undefined;
}
