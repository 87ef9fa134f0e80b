targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

@description('Turn on the cluster\'s OIDC issuer and workload identity before creating credentials.')
param enableWorkloadIdentity bool = false

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

// ARM replaces the whole cluster on PUT: pass the cluster as it is and merge in the two flags.
module clusterWorkloadIdentity 'modules/cluster-workload-identity.bicep' = if (enableWorkloadIdentity) {
  name: 'wlid-cluster-lab'
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
  params: {
    clusterName: clusterName
    location: cluster.location
    tags: cluster.?tags ?? {}
    sku: cluster.sku
    identity: cluster.?identity ?? { type: 'None' }
    properties: cluster.properties
  }
}

module identity_myIdentity 'modules/wlid-id-myIdentity.bicep' = {
  name: 'wlid-id-myIdentity'
  params: {
    location: location
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

output identities object = {
  myIdentity: {
    clientId: identity_myIdentity.outputs.clientId
    principalId: identity_myIdentity.outputs.principalId
    tenantId: identity_myIdentity.outputs.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
