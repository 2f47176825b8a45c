/** The JS contract of the policy world's imports, owned by the SDK (one place to change the path). */
export type * from "../../../sdk/src/component/types.js";
