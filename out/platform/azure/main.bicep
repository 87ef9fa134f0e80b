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
  name: 'wlid-platform-cluster'
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

resource identity_orders_api 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'orders-api'
  location: location
  properties: {}
}

resource fic_orders_api_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_orders_api
  name: 'orders-orders-api'
  properties: {
    issuer: empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
    subject: 'system:serviceaccount:orders:orders-api'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

resource fic_orders_api_2 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_orders_api
  name: 'orders-orders-worker'
  properties: {
    issuer: empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
    subject: 'system:serviceaccount:orders:orders-worker'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    clusterWorkloadIdentity
    fic_orders_api_1
  ]
}

module roles_orders_api_1 'modules/wlid-orders-api-roles-fa3592eb.bicep' = {
  name: 'wlid-orders-api-roles-fa3592eb'
  scope: resourceGroup()
  params: {
    principalId: identity_orders_api.properties.principalId
  }
}

module roles_orders_api_2 'modules/wlid-orders-api-roles-c0393637.bicep' = {
  name: 'wlid-orders-api-roles-c0393637'
  scope: resourceGroup('rg-platform-data')
  params: {
    principalId: identity_orders_api.properties.principalId
  }
}

resource identity_reporting 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'reporting'
  location: location
  properties: {}
}

resource fic_reporting_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_reporting
  name: 'reporting-aks'
  properties: {
    issuer: empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
    subject: 'system:serviceaccount:reporting:reporting'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

module roles_reporting_1 'modules/wlid-reporting-roles-d98ee1e8.bicep' = {
  name: 'wlid-reporting-roles-d98ee1e8'
  scope: resourceGroup('33333333-3333-3333-3333-333333333333', 'rg-reports')
  params: {
    principalId: identity_reporting.properties.principalId
  }
}

module roles_reporting_2 'modules/wlid-reporting-roles-bbec5ce5.bicep' = {
  name: 'wlid-reporting-roles-bbec5ce5'
  scope: subscription()
  params: {
    principalId: identity_reporting.properties.principalId
  }
}

output identities object = {
  'orders-api': {
    clientId: identity_orders_api.properties.clientId
    principalId: identity_orders_api.properties.principalId
    tenantId: identity_orders_api.properties.tenantId
  }
  reporting: {
    clientId: identity_reporting.properties.clientId
    principalId: identity_reporting.properties.principalId
    tenantId: identity_reporting.properties.tenantId
  }
}

output oidcIssuerUrl string = empty(oidcIssuerUrl) ? cluster.properties.oidcIssuerProfile.issuerURL : oidcIssuerUrl
