/**
 * Istio's "secure control of egress traffic" scenario (the Istio blog series, part 2):
 * application A may reach a wildcard domain over TLS, application B one HTTP API with TLS originated by the
 * gateway; both go through the egress gateway with their mTLS identity checked, everything is logged, and
 * deny-by-default NetworkPolicies stop a pod that skips its sidecar. This is also the repository's reference stack.
 *
 * Config (all optional): appANamespace, appBNamespace, wildcardHost, wildcardUpstream, apiHost,
 * gatewayNamespace, chartVersion (set it to your istiod's version; the component warns until you do), revision
 * (the istiod revision or revision tag, on revision-based installs), clusterCidrs (a JSON list), chart (a local
 * istio/gateway chart directory or .tgz instead of Istio's chart repository: air-gapped installs, CI), skipAwait
 * (true: do not wait for the gateway's pods; only for clusters that cannot run them, e.g. the e2e suite's control
 * plane).
 */
import * as pulumi from "@pulumi/pulumi";
import { EgressGateway, EgressMode } from "../../sdk";

const config = new pulumi.Config();
const appA = config.get("appANamespace") ?? "app-a";
const appB = config.get("appBNamespace") ?? "app-b";
const wildcardHost = config.get("wildcardHost") ?? "*.wikipedia.org";
const wildcardUpstream = config.get("wildcardUpstream") ?? "www.wikipedia.org";
const apiHost = config.get("apiHost") ?? "edition.cnn.com";

const egress = new EgressGateway("egress", {
    gateway: {
        namespace: config.get("gatewayNamespace") ?? "istio-egress",
        chartVersion: config.get("chartVersion"),
        revision: config.get("revision"),
        chart: config.get("chart"),
        skipAwait: config.getBoolean("skipAwait"),
    },
    hosts: [
        // A speaks TLS itself; the sidecar wraps it in Istio mTLS so the gateway knows it is A.
        { host: wildcardHost, mode: EgressMode.Tls, upstreamHost: wildcardUpstream, allow: [{ namespaces: [appA] }] },
        // B speaks plain HTTP; the gateway originates TLS and verifies the API's certificate.
        { host: apiHost, mode: EgressMode.TlsOrigination, allow: [{ namespaces: [appB] }] },
    ],
    lockdown: {
        namespaces: [{ name: appA }, { name: appB }],
        clusterCidrs: config.getObject<string[]>("clusterCidrs") ?? [],
    },
});

export const gatewayNamespace = egress.namespace;
export const gatewayServiceHost = egress.serviceHost;
export const gatewayLabels = egress.labels;
export const gatewayContainerPorts = egress.containerPorts;
export const gatewayServiceName = egress.serviceName;
export const releaseStatus = egress.releaseStatus;
export const hosts = egress.hosts;
