/**
 * The platform team's stack: it owns the egress gateway, its lock-down and access logs, and one shared host.
 * Application teams attach their own hosts from their stacks (see ../team), reading these outputs through a
 * StackReference.
 *
 * Config (all optional): chartVersion, chart (a local istio/gateway chart directory or .tgz), skipAwait (true: do
 * not wait for the gateway's pods; clusters that cannot run them).
 */
import * as pulumi from "@pulumi/pulumi";
import { EgressGateway, EgressMode } from "../../../sdk";

const config = new pulumi.Config();
const egress = new EgressGateway("platform", {
    gateway: {
        chartVersion: config.get("chartVersion"),
        chart: config.get("chart"),
        skipAwait: config.getBoolean("skipAwait"),
    },
    hosts: [{ host: "api.github.com", mode: EgressMode.Tls, allow: [{ namespaces: ["ci"] }] }],
    lockdown: {
        namespaces: [{ name: "ci" }],
        // Teams' hosts use HTTPS too; list any other port a team needs here.
        externalPorts: [443],
    },
});

export const namespace = egress.namespace;
export const serviceName = egress.serviceName;
export const serviceHost = egress.serviceHost;
export const labels = egress.labels;
export const containerPorts = egress.containerPorts;
export const gatewayRef = egress.gatewayRef;
