targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

@description('Name of the target of role \'Key Vault Secrets User\' of identity myIdentity.')
param myIdentity_role1_name string

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

module identity_myIdentity 'modules/wlid-id-myIdentity.bicep' = {
  name: 'wlid-id-myIdentity'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
    myIdentity_role1_name: myIdentity_role1_name
  }
}

module identity_edge 'modules/wlid-id-edge.bicep' = {
  name: 'wlid-id-edge'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  }
}

output identities object = {
  myIdentity: {
    clientId: identity_myIdentity.outputs.clientId
    principalId: identity_myIdentity.outputs.principalId
    tenantId: identity_myIdentity.outputs.tenantId
  }
  edge: {
    clientId: identity_edge.outputs.clientId
    principalId: identity_edge.outputs.principalId
    tenantId: identity_edge.outputs.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
