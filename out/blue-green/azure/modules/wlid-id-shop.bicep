targetScope = 'resourceGroup'

param location string
param issuer string
param shop_role1_name string
param clusterName string
param clusterResourceGroup string
param clusterSubscriptionId string
param include_ib_shop_cluster bool
param include_ib_shop_aks_shop_prod_blue bool
param include_ib_shop_aks_shop_prod_green bool

resource identity_shop 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'shop'
  location: location
  properties: {}
}

module roles_1 'wlid-roles-shop-44f125be.bicep' = {
  name: 'wlid-roles-shop-44f125be'
  scope: resourceGroup()
  params: {
    principalId: identity_shop.properties.principalId
    shop_role1_name: shop_role1_name
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_1 'identity-binding.bicep' = if (include_ib_shop_cluster) {
  name: 'wlid-ib-shop'
  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)
  params: {
    clusterName: clusterName
    bindingName: 'shop'
    identityId: identity_shop.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_2 'identity-binding.bicep' = if (include_ib_shop_aks_shop_prod_blue) {
  name: 'wlid-ib-shop-aks-shop-prod-blue'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-prod')
  params: {
    clusterName: 'aks-shop-prod-blue'
    bindingName: 'shop'
    identityId: identity_shop.id
  }
}

// An AKS identity binding: AKS makes the identity's one credential (aks-identity-binding) itself.
module binding_3 'identity-binding.bicep' = if (include_ib_shop_aks_shop_prod_green) {
  name: 'wlid-ib-shop-aks-shop-prod-green'
  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-prod')
  params: {
    clusterName: 'aks-shop-prod-green'
    bindingName: 'shop'
    identityId: identity_shop.id
  }
}

output clientId string = identity_shop.properties.clientId
output principalId string = identity_shop.properties.principalId
output tenantId string = identity_shop.properties.tenantId
