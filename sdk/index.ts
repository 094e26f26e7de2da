/**
 * istio-egress: secure, identity-aware control of egress traffic with Istio.
 *
 * - `EgressGateway` (type `istio-egress:index:EgressGateway`): the egress gateway, the routes of external hosts
 *   through it, and the lock-down that makes it the only way out.
 * - `EgressRoutes` (type `istio-egress:index:EgressRoutes`): an application team's hosts and rules on a gateway
 *   another stack owns.
 * - `buildPlan` and the manifest builders: the same logic as pure functions, for tools and tests.
 */
export * from "./args";
export { EgressGateway, HostOutputs } from "./component";
export { EgressRoutes, EgressRoutesArgs, GatewayReferenceArgs } from "./routes";
export {
    buildPlan,
    ArgsError,
    ArgsProblem,
    EgressPlan,
    HostPlan,
    COMPONENT_TYPE,
    DEFAULT_CHART_VERSION,
    ISTIO_CHART_REPOSITORY,
} from "./plan";
export { routingManifests } from "./manifests/routing";
export { lockdownManifests } from "./manifests/lockdown";
export type { K8sObject } from "./model";
