targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

@description('Opt-in: turn on the cluster\'s OIDC issuer and workload identity while one is off (writes the cluster once).')
param enableWorkloadIdentity bool = false

@description('Resource group of the target of role \'Key Vault Secrets User\' of identity shop-api.')
param shop_api_role1_resourceGroup string

@description('Name of the target of role \'Key Vault Secrets User\' of identity shop-api.')
param shop_api_role1_name string

@description('Name of the target of role \'Storage Blob Data Reader\' of identity shop-api.')
param shop_api_role2_name string

@description('Deploy identity shop-reporting in this environment.')
param include_shop_reporting bool

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

// Opt-in: turn on the OIDC issuer and workload identity while one of them is off. The module gets the
// current flags and the cluster as it is (ARM replaces the whole cluster on PUT) and writes nothing
// once both flags are on.
module clusterWorkloadIdentity 'modules/cluster-workload-identity.bicep' = if (enableWorkloadIdentity) {
  name: 'wlid-cluster-multi-env'
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
  params: {
    clusterName: clusterName
    oidcIssuerEnabled: cluster.properties.?oidcIssuerProfile.?enabled ?? false
    workloadIdentityEnabled: cluster.properties.?securityProfile.?workloadIdentity.?enabled ?? false
    current: {
      location: cluster.location
      extendedLocation: cluster.?extendedLocation
      kind: cluster.?kind
      sku: cluster.?sku
      tags: cluster.?tags
      identity: cluster.?identity
      properties: cluster.properties
    }
  }
}

module identity_shop_api 'modules/wlid-id-shop-api.bicep' = {
  name: 'wlid-id-shop-api'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
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
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
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
    clientId: identity_shop_reporting.?outputs.clientId ?? ''
    principalId: identity_shop_reporting.?outputs.principalId ?? ''
    tenantId: identity_shop_reporting.?outputs.tenantId ?? ''
  }
}

output oidcIssuerUrl string = cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
