targetScope = 'resourceGroup'

param clusterName string
param oidcIssuerEnabled bool
param workloadIdentityEnabled bool
param current object

// Write the cluster only while a flag is off: once both are on, this deployment writes nothing.
var needsWrite = !(oidcIssuerEnabled && workloadIdentityEnabled)
// Why the cluster cannot be written back now ('' when it can, or when nothing needs writing).
var busyPools = filter(current.properties.?agentPoolProfiles ?? [], pool => pool.?provisioningState != 'Succeeded')
var refusal = !needsWrite ? '' : (current.properties.?provisioningState != 'Succeeded' ? 'AKS cluster ${clusterName} is not in provisioning state Succeeded (an upgrade, scale or other operation is running, or the last one failed): wlid does not write a cluster then. Deploy again later, or turn the flags on once with az aks update --enable-oidc-issuer --enable-workload-identity.' : (length(busyPools) > 0 ? 'A node pool of AKS cluster ${clusterName} is not in provisioning state Succeeded (an operation is running on it): wlid does not write the cluster then. Deploy again later, or turn the flags on once with az aks update --enable-oidc-issuer --enable-workload-identity.' : (current.properties.?powerState.?code == 'Stopped' ? 'AKS cluster ${clusterName} is stopped: wlid does not write a stopped cluster. Deploy again later, or turn the flags on once with az aks update --enable-oidc-issuer --enable-workload-identity.' : '')))

// The cluster as it was read, with the two flags merged in by union().
resource managedCluster 'Microsoft.ContainerService/managedClusters@2026-05-01' = if (needsWrite) {
  name: clusterName
  location: current.location
  extendedLocation: current.?extendedLocation
  tags: current.?tags
  sku: current.?sku
  kind: current.?kind
  identity: current.?identity
  properties: empty(refusal) ? union(current.properties, {
    oidcIssuerProfile: {
      enabled: true
    }
    securityProfile: {
      workloadIdentity: {
        enabled: true
      }
    }
  }) : fail(refusal)
}
