targetScope = 'resourceGroup'

param location string
param issuer string
param shop_api_role1_resourceGroup string
param shop_api_role1_name string
param shop_api_role2_name string

resource identity_shop_api 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'shop-api'
  location: location
  properties: {}
}

resource fic_1 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = {
  parent: identity_shop_api
  name: 'shop-shop-api'
  properties: {
    issuer: issuer
    subject: 'system:serviceaccount:shop:shop-api'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

module roles_1 'wlid-roles-shop-api-fe4aad1c.bicep' = {
  name: 'wlid-roles-shop-api-fe4aad1c'
  scope: resourceGroup(shop_api_role1_resourceGroup)
  params: {
    principalId: identity_shop_api.properties.principalId
    shop_api_role1_name: shop_api_role1_name
  }
}

module roles_2 'wlid-roles-shop-api-aa82e37f.bicep' = {
  name: 'wlid-roles-shop-api-aa82e37f'
  scope: resourceGroup()
  params: {
    principalId: identity_shop_api.properties.principalId
    shop_api_role2_name: shop_api_role2_name
  }
}

output clientId string = identity_shop_api.properties.clientId
output principalId string = identity_shop_api.properties.principalId
output tenantId string = identity_shop_api.properties.tenantId
