targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

module identity_payments 'modules/wlid-id-payments.bicep' = {
  name: 'wlid-id-payments'
  params: {
    location: location
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
  }
}

output identities object = {
  payments: {
    clientId: identity_payments.outputs.clientId
    principalId: identity_payments.outputs.principalId
    tenantId: identity_payments.outputs.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
