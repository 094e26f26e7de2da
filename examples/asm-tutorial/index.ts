/**
 * The Alibaba Cloud Service Mesh egress tutorial: every namespace of the mesh may reach www.aliyun.com through
 * the egress gateway, except `demo-frontend`, which the gateway answers with 403 (a DENY AuthorizationPolicy;
 * DENY is evaluated before ALLOW). The app speaks HTTP; the gateway originates TLS, so it sees the request.
 * "Every namespace" includes namespaces this stack does not protect: the gateway admits every namespace on its
 * mTLS listeners and decides by identity (docs/lockdown.md, "Who reaches the gateway").
 *
 * Config (all optional): frontendNamespace, backendNamespace, chartVersion, chart (a local istio/gateway chart
 * directory or .tgz), skipAwait (true: do not wait for the gateway's pods; clusters that cannot run them).
 */
import * as pulumi from "@pulumi/pulumi";
import { EgressGateway, EgressMode } from "../../sdk";

const config = new pulumi.Config();
const frontend = config.get("frontendNamespace") ?? "demo-frontend";
const backend = config.get("backendNamespace") ?? "demo-backend";

const egress = new EgressGateway("asm", {
    gateway: {
        chartVersion: config.get("chartVersion"),
        chart: config.get("chart"),
        skipAwait: config.getBoolean("skipAwait"),
    },
    hosts: [
        {
            host: "www.aliyun.com",
            mode: EgressMode.TlsOrigination,
            allow: [{}], // any workload with a mesh identity, in any namespace
            deny: [{ namespaces: [frontend] }],
        },
    ],
    lockdown: { namespaces: [{ name: frontend }, { name: backend }] },
});

export const gatewayNamespace = egress.namespace;
export const hosts = egress.hosts;
