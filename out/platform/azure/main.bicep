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

@description('The cluster\'s OIDC issuer URL; empty: read it from the cluster.')
param oidcIssuerUrl string = ''

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

// ARM replaces the whole cluster on PUT: pass the cluster as it is and merge in the two flags.
module clusterWorkloadIdentity 'modules/cluster-workload-identity.bicep' = if (enableWorkloadIdentity) {
  name: 'wlid-cluster-platform'
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

module identity_orders_api 'modules/wlid-id-orders-api.bicep' = {
  name: 'wlid-id-orders-api'
  params: {
    location: location
    issuer: empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

module identity_reporting 'modules/wlid-id-reporting.bicep' = {
  name: 'wlid-id-reporting'
  params: {
    location: location
    issuer: empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

output identities object = {
  'orders-api': {
    clientId: identity_orders_api.outputs.clientId
    principalId: identity_orders_api.outputs.principalId
    tenantId: identity_orders_api.outputs.tenantId
  }
  reporting: {
    clientId: identity_reporting.outputs.clientId
    principalId: identity_reporting.outputs.principalId
    tenantId: identity_reporting.outputs.tenantId
  }
}

output oidcIssuerUrl string = empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
