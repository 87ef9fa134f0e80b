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

@description('Resource group of the target of role \'Key Vault Secrets User\' of identity shop-api.')
param shop_api_role1_resourceGroup string

@description('Name of the target of role \'Key Vault Secrets User\' of identity shop-api.')
param shop_api_role1_name string

@description('Name of the target of role \'Storage Blob Data Reader\' of identity shop-api.')
param shop_api_role2_name string

@description('Deploy identity shop-reporting in this environment.')
param include_shop_reporting bool

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

// ARM replaces the whole cluster on PUT: pass the cluster as it is and merge in the two flags.
module clusterWorkloadIdentity 'modules/cluster-workload-identity.bicep' = if (enableWorkloadIdentity) {
  name: 'wlid-cluster-multi-env'
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

module identity_shop_api 'modules/wlid-id-shop-api.bicep' = {
  name: 'wlid-id-shop-api'
  params: {
    location: location
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
    shop_api_role1_resourceGroup: shop_api_role1_resourceGroup
    shop_api_role1_name: shop_api_role1_name
    shop_api_role2_name: shop_api_role2_name
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

module identity_shop_reporting 'modules/wlid-id-shop-reporting.bicep' = if (include_shop_reporting) {
  name: 'wlid-id-shop-reporting'
  params: {
    location: location
    issuer: cluster.properties.oidcIssuerProfile.issuerURL
  }
  dependsOn: [
    clusterWorkloadIdentity
  ]
}

output identities object = {
  'shop-api': {
    clientId: identity_shop_api.outputs.clientId
    principalId: identity_shop_api.outputs.principalId
    tenantId: identity_shop_api.outputs.tenantId
  }
  'shop-reporting': {
    clientId: include_shop_reporting ? identity_shop_reporting.outputs.clientId : ''
    principalId: include_shop_reporting ? identity_shop_reporting.outputs.principalId : ''
    tenantId: include_shop_reporting ? identity_shop_reporting.outputs.tenantId : ''
  }
}

output oidcIssuerUrl string = cluster.properties.oidcIssuerProfile.issuerURL
