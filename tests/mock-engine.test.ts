import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { runProgram } from "../sdk/engine/mock-engine";
import { errorMessage, valueAt } from "../sdk/model/read";

class Parent extends pulumi.ComponentResource {
    constructor(name: string) {
        super("test:index:Parent", name, {});
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: "a" } }, { parent: this });
        new k8s.core.v1.ConfigMap(`${name}-cm`, { metadata: { namespace: ns.metadata.name }, data: { k: "v" } }, { parent: this, dependsOn: [ns] });
        this.registerOutputs({});
    }
}

describe("mock engine", () => {
    it("captures type, name, inputs, parent and dependencies of every resource", async () => {
        const { resources } = await runProgram(() => {
            new Parent("p");
        });
        const byName = new Map(resources.map((r) => [r.name, r]));
        const parent = byName.get("p")!;
        const ns = byName.get("p-ns")!;
        const cm = byName.get("p-cm")!;
        assert.strictEqual(parent.type, "test:index:Parent");
        assert.strictEqual(parent.custom, false);
        assert.strictEqual(ns.type, "kubernetes:core/v1:Namespace");
        assert.strictEqual(ns.parent, parent.urn);
        assert.strictEqual(cm.parent, parent.urn);
        assert.ok(cm.dependencies.includes(ns.urn), "dependsOn is recorded");
        assert.deepStrictEqual(cm.inputs.data, { k: "v" });
        assert.strictEqual(valueAt(cm.inputs, "metadata", "namespace"), "a", "outputs of other resources resolve in inputs");
    });

    it("resolves stack config and returns the program's outputs, also in preview", async () => {
        const { outputs } = await runProgram(
            () => {
                const cfg = new pulumi.Config();
                return { greeting: cfg.require("greeting") };
            },
            { config: { greeting: "hi" }, preview: true },
        );
        assert.deepStrictEqual(outputs, { greeting: "hi" });
    });

    it("rejects with the program's error and what was registered before it", async () => {
        await assert.rejects(
            runProgram(() => {
                throw new pulumi.ResourceError("hosts[0].host: bad", undefined);
            }),
            (err: unknown) => /hosts\[0\]\.host: bad/.test(errorMessage(err)) && Array.isArray(valueAt(err, "capturedResources")),
        );
    });
});

describe("mock engine: stack references", () => {
    it("serves another stack's outputs to StackReference, and fails for an unknown stack", async () => {
        const { outputs } = await runProgram(
            () => {
                const ref = new pulumi.StackReference("org/platform/prod");
                return { ns: ref.getOutput("namespace") };
            },
            { stackReferences: { "org/platform/prod": { namespace: "istio-egress" } } },
        );
        assert.deepStrictEqual(outputs, { ns: "istio-egress" });
        await assert.rejects(
            runProgram(() => {
                new pulumi.StackReference("org/platform/nope");
            }),
            /unknown stack "org\/platform\/nope"/,
        );
    });
});
