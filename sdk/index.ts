/**
 * istio-egress: secure, identity-aware control of egress traffic with Istio.
 *
 * - `EgressGateway` (type `istio-egress:index:EgressGateway`): the egress gateway, the routes of external hosts
 *   through it, and the lock-down that makes it the only way out.
 * - `EgressRoutes` (type `istio-egress:index:EgressRoutes`): an application team's hosts and rules on a gateway
 *   another stack (or another component of this program) owns.
 * - `buildPlan` / `buildTeamPlan` and the manifest builders: the same logic as pure functions, for tools and tests.
 * - `ARGS_SCHEMA`: the components' arguments as JSON Schema (draft-07), generated from their TypeScript types.
 */
export * from "./args";
export { EgressGateway, HostOutputs, ContainerPorts } from "./component";
export { EgressRoutes } from "./routes";
export {
    buildPlan,
    buildTeamPlan,
    ArgsError,
    ArgsProblem,
    EgressPlan,
    HostPlan,
    COMPONENT_TYPE,
    ROUTES_TYPE,
    DEFAULT_CHART_VERSION,
    ISTIO_CHART_REPOSITORY,
} from "./plan";
export { ARGS_SCHEMA } from "./schema/args";
export { routingManifests } from "./manifests/routing";
export { lockdownManifests } from "./manifests/lockdown";
export { teamManifests, TeamManifests } from "./manifests/team";
export { objectName, hostObjectName, pulumiName, decodeObjectName } from "./plan/names";
export type { K8sObject } from "./model";
export { egressAuditLogProvider, EGRESS_AUDIT_PROVIDER, AUDIT_LOG_FIELDS, accessLogProviderProblems, resolveAccessLog } from "./model/mesh-logging";
