targetScope = 'resourceGroup'

param clusterName string
param bindingName string
param identityId string

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
}

resource binding 'Microsoft.ContainerService/managedClusters/identityBindings@2026-05-01' = {
  parent: cluster
  name: bindingName
  properties: {
    managedIdentity: {
      resourceId: identityId
    }
  }
}
