export { KubernetesSimulator, DEFAULT_ISSUER } from './simulator';
export type { SimulatorOptions } from './simulator';
export type { SimulatorFault } from './faults';
export type { MintOptions } from './mint';
export type { SimulatorCounters } from './request-handler';
export { TOKEN_REVIEWS_PATH } from './request-handler';
export type { UserInfo } from './cluster-state';
export type { SigningAlgorithm } from './tokens';
