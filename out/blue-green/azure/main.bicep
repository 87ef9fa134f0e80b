targetScope = 'resourceGroup'

@description('Azure region of the managed identities.')
param location string

@description('Name of the AKS cluster.')
param clusterName string

@description('Resource group of the AKS cluster.')
param clusterResourceGroup string

@description('Subscription of the AKS cluster.')
param clusterSubscriptionId string

@description('Deploy what trusts cluster aks-shop-prod-blue in this environment.')
param include_cluster_aks_shop_prod_blue bool

@description('Deploy what trusts cluster aks-shop-prod-green in this environment.')
param include_cluster_aks_shop_prod_green bool

@description('Deploy the identity binding of identity shop on cluster (cluster) in this environment.')
param include_ib_shop_cluster bool

@description('Deploy the identity binding of identity shop on cluster aks-shop-prod-blue in this environment.')
param include_ib_shop_aks_shop_prod_blue bool

@description('Deploy the identity binding of identity shop on cluster aks-shop-prod-green in this environment.')
param include_ib_shop_aks_shop_prod_green bool

@description('Name of the target of role \'Key Vault Secrets User\' of identity shop.')
param shop_role1_name string

@description('Deploy the federated credential of ServiceAccount shop-audit/shop-audit in this environment.')
param include_sa_shop_audit_shop_audit bool

@description('Deploy the federated credential of ServiceAccount shop-audit/shop-audit for cluster aks-shop-prod-blue in this environment.')
param include_sa_shop_audit_shop_audit_aks_shop_prod_blue bool

@description('Deploy the federated credential of ServiceAccount shop-audit/shop-audit for cluster aks-shop-prod-green in this environment.')
param include_sa_shop_audit_shop_audit_aks_shop_prod_green bool

@description('Name of the target of role \'Storage Blob Data Reader\' of identity shop-audit.')
param shop_audit_role1_name string

resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: clusterName
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
}

resource cluster_aks_shop_prod_blue 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-shop-prod-blue'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-prod')
}

resource cluster_aks_shop_prod_green 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {
  name: 'aks-shop-prod-green'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-prod')
}

module identity_shop 'modules/wlid-id-shop.bicep' = {
  name: 'wlid-id-shop'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
    shop_role1_name: shop_role1_name
    clusterName: clusterName
    clusterResourceGroup: clusterResourceGroup
    clusterSubscriptionId: clusterSubscriptionId
    include_ib_shop_cluster: include_ib_shop_cluster
    include_ib_shop_aks_shop_prod_blue: include_ib_shop_aks_shop_prod_blue
    include_ib_shop_aks_shop_prod_green: include_ib_shop_aks_shop_prod_green
  }
}

module identity_shop_audit 'modules/wlid-id-shop-audit.bicep' = {
  name: 'wlid-id-shop-audit'
  params: {
    location: location
    issuer: cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
    issuer_aks_shop_prod_blue: include_cluster_aks_shop_prod_blue ? (cluster_aks_shop_prod_blue.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-shop-prod-blue is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-prod --name aks-shop-prod-blue --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')) : ''
    issuer_aks_shop_prod_green: include_cluster_aks_shop_prod_green ? (cluster_aks_shop_prod_green.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-shop-prod-green is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-prod --name aks-shop-prod-green --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')) : ''
    include_sa_shop_audit_shop_audit: include_sa_shop_audit_shop_audit
    include_sa_shop_audit_shop_audit_aks_shop_prod_blue: include_sa_shop_audit_shop_audit_aks_shop_prod_blue
    include_sa_shop_audit_shop_audit_aks_shop_prod_green: include_sa_shop_audit_shop_audit_aks_shop_prod_green
    shop_audit_role1_name: shop_audit_role1_name
  }
}

output identities object = {
  shop: {
    clientId: identity_shop.outputs.clientId
    principalId: identity_shop.outputs.principalId
    tenantId: identity_shop.outputs.tenantId
  }
  'shop-audit': {
    clientId: identity_shop_audit.outputs.clientId
    principalId: identity_shop_audit.outputs.principalId
    tenantId: identity_shop_audit.outputs.tenantId
  }
}

output oidcIssuerUrl string = cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group ${clusterResourceGroup} --name ${clusterName} --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')
output clusterIssuers object = {
  'aks-shop-prod-blue': include_cluster_aks_shop_prod_blue ? (cluster_aks_shop_prod_blue.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-shop-prod-blue is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-prod --name aks-shop-prod-blue --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')) : ''
  'aks-shop-prod-green': include_cluster_aks_shop_prod_green ? (cluster_aks_shop_prod_green.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster aks-shop-prod-green is off, so it has no issuer URL to trust. Turn it and workload identity on once: az aks update --resource-group rg-aks-prod --name aks-shop-prod-green --enable-oidc-issuer --enable-workload-identity (this restarts the API server), or opt in with cluster.enableWorkloadIdentity: true.')) : ''
}
