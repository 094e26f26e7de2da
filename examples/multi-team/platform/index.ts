/**
 * The platform team's stack: it owns the egress gateway, its lock-down and access logs, and one shared host.
 * Application teams attach their own hosts from their stacks (see ../team), reading these outputs through a
 * StackReference.
 */
import { EgressGateway, EgressMode } from "../../../sdk";

const egress = new EgressGateway("platform", {
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
