/**
 * The args stay schema-friendly: Pulumi's component analyzer (the one `pulumi package` uses to expose a
 * TypeScript component to other languages) accepts both components and derives a schema from them.
 */
import * as assert from "assert";
import * as path from "path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";

describe("component schema (Pulumi's component analyzer)", function () {
    this.timeout(120000);

    it("accepts EgressGateway and EgressRoutes: interfaces, Input<T>, arrays, maps and string enums only", () => {
        const root = path.resolve(__dirname, "..", "..");
        const result = new Analyzer(root, "istio-egress", { main: "sdk/index.js" }, new Set(["EgressGateway", "EgressRoutes"])).analyze();
        const gw = result.components.EgressGateway;
        assert.deepStrictEqual(Object.keys(gw.inputs).sort(), ["gateway", "hosts", "lockdown", "namePrefix"]);
        assert.deepStrictEqual(Object.keys(gw.outputs).sort(), [
            "containerPorts",
            "gatewayRef",
            "hosts",
            "labels",
            "namespace",
            "protectedNamespaces",
            "releaseStatus",
            "serviceHost",
            "serviceName",
        ]);
        const mode = result.typeDefinitions.EgressMode;
        assert.deepStrictEqual(mode.enum?.map((e) => e.value).sort(), ["HTTP", "MUTUAL_TLS_ORIGINATION", "TLS", "TLS_ORIGINATION"]);
        assert.ok(result.typeDefinitions.ExternalHostArgs.properties?.host, "host is part of the schema");
        assert.ok(result.components.EgressRoutes.inputs.gateway, "the team component takes the gateway reference");
    });
});
