/** Host capabilities of the policy world: see README.md in this folder. */
export { createCapabilities, type CapabilityContext } from "./create-capabilities.js";
export { capabilityGrantsSchema, type CapabilityGrants } from "./grants.js";
export { startCapabilityServices, type CapabilityServices, type CapabilityServicesOptions } from "./capability-services.js";
export { setFlowScope, type FlowScope } from "./flow-scope.js";
export {
  compileExpression,
  evaluateCondition,
  evaluateExpression,
  celValueToJson,
  type CompiledExpression,
} from "./expression/cel.js";
export { expressionContextFrom, type ExpressionContext, type FlowState } from "./expression/expression-context.js";
export { BridgeServer, type BridgeHandler } from "./bridge/bridge-server.js";
export { BridgeClient, connectBridge, workerBridgeClient } from "./bridge/bridge-client.js";
export { isBridgeConnectMessage } from "./bridge/protocol.js";
export type { StoreConfig } from "./stores/create-store.js";
export type { HttpGrant } from "./http/http-capability.js";
export type { FilesGrant } from "./files/files-capability.js";
export type { GeoGrant } from "./geo/geo-capability.js";
export { MetricsRegistry } from "./metrics/metrics-registry.js";
