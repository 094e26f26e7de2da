/**
 * An application team's stack: the payments team may reach its payment provider through the platform's egress
 * gateway, and its namespace is locked down so that this is the only way out. The gateway comes from the
 * platform stack's outputs (config `platformStack`, e.g. `my-org/multi-team-platform/prod`).
 */
import * as pulumi from "@pulumi/pulumi";
import { EgressMode, EgressRoutes } from "../../../sdk";

const config = new pulumi.Config();
const platform = new pulumi.StackReference(config.get("platformStack") ?? "organization/multi-team-platform/dev");

const routes = new EgressRoutes("payments", {
    gateway: {
        namespace: platform.requireOutput("namespace") as pulumi.Output<string>,
        serviceName: platform.requireOutput("serviceName") as pulumi.Output<string>,
        labels: platform.requireOutput("labels") as pulumi.Output<Record<string, string>>,
        containerPorts: platform.requireOutput("containerPorts") as pulumi.Output<{ http: number; tls: number }>,
    },
    hosts: [
        {
            host: "api.stripe.com",
            mode: EgressMode.Tls,
            allow: [{ serviceAccounts: ["payments/checkout"] }],
        },
    ],
    namespaces: [{ name: "payments" }],
});

export const hosts = routes.hosts;
