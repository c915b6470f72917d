export { KubernetesSimulator, DEFAULT_ISSUER } from './simulator.js';
export type { SimulatorOptions } from './simulator.js';
export type { SimulatorFault } from './faults.js';
export type { MintOptions } from './mint.js';
export type { SimulatorCounters } from './request-handler.js';
export { TOKEN_REVIEWS_PATH } from './request-handler.js';
export type { UserInfo } from './cluster-state.js';
export type { SigningAlgorithm } from './tokens.js';
