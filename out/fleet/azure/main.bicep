targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

module identity_fleet_agent 'modules/wlid-id-fleet-agent.bicep' = {
  name: 'wlid-id-fleet-agent'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
  }
}

output identities object = {
  'fleet-agent': {
    clientId: identity_fleet_agent.outputs.clientId
    principalId: identity_fleet_agent.outputs.principalId
    tenantId: identity_fleet_agent.outputs.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
