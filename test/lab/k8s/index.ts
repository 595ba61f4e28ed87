/** The k8s lab: nspawn nodes seeded as a binary-installed Kubernetes cluster on Flannel (see README.md). */
export { createK8sLab, downK8sLab, withK8sLab, clusterInventory, type K8sLab, type K8sLabOptions } from './lab.ts';
export { nodeFiles, startScript, type SeedNode, type SeedOptions } from './seed.ts';
export type { ClusterFacts } from './units.ts';
