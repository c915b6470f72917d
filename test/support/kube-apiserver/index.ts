export { ETCD_VERSION, findKubeBinaries, KUBERNETES_VERSION, kubeBinariesDir } from './binaries.js';
export { KubeCluster, type Subject, type TokenOptions } from './cluster.js';
export { ControlPlane, KUBE_ISSUER, type ControlPlaneOptions } from './control-plane.js';
export { kubeRequest, type KubeEndpoint, type KubeRequestOptions, type KubeResponse } from './http.js';
